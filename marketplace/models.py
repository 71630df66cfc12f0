"""Import every model so the metadata is complete for Alembic and the app."""

from .accounts.models import LoginAttempt, LoginSession, Role, User
from .api.models import ApiToken
from .contracts.models import Contract, ContractStatus, Submission
from .db import Base
from .hiring.models import Proposal, ProposalStatus
from .matches.models import Invitation, Match
from .messages.models import Conversation, Message, MessageReport
from .notifications.models import LocalEmail, Notification, NotificationPreference
from .operator.models import AuditEntry, Resolution
from .payments.models import BillingProfile, EntryKind, LedgerEntry, PayoutAccount, StripeEvent
from .planner.models import MarketFit, Plan, PlanItem
from .profiles.models import AssistantProfile
from .reports.models import ProfileReport
from .reviews.models import Review
from .skills.models import Skill, assistant_skills, task_skills
from .tasks.models import BudgetType, Category, Engagement, Task, TaskStatus
from .timesheets.models import TimeEntry, Timesheet, TimesheetStatus

__all__ = [
    "ApiToken",
    "AssistantProfile",
    "AuditEntry",
    "BillingProfile",
    "Resolution",
    "Base",
    "BudgetType",
    "Contract",
    "Conversation",
    "ContractStatus",
    "EntryKind",
    "LedgerEntry",
    "PayoutAccount",
    "Plan",
    "PlanItem",
    "StripeEvent",
    "Category",
    "Engagement",
    "Invitation",
    "LoginAttempt",
    "LoginSession",
    "LocalEmail",
    "Match",
    "MarketFit",
    "Message",
    "MessageReport",
    "Notification",
    "NotificationPreference",
    "ProfileReport",
    "Proposal",
    "ProposalStatus",
    "Review",
    "Role",
    "Skill",
    "Submission",
    "Task",
    "TaskStatus",
    "TimeEntry",
    "Timesheet",
    "TimesheetStatus",
    "User",
    "assistant_skills",
    "task_skills",
]
