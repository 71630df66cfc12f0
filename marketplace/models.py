"""Import every model so the metadata is complete for Alembic and the app."""

from .accounts.models import Role, User
from .db import Base
from .hiring.models import Proposal, ProposalStatus
from .profiles.models import AssistantProfile
from .skills.models import Skill, assistant_skills, task_skills
from .tasks.models import BudgetType, Category, Engagement, Task, TaskStatus

__all__ = [
    "AssistantProfile",
    "Base",
    "BudgetType",
    "Category",
    "Engagement",
    "Proposal",
    "ProposalStatus",
    "Role",
    "Skill",
    "Task",
    "TaskStatus",
    "User",
    "assistant_skills",
    "task_skills",
]
