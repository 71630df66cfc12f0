"""Tasks owners post: what, which skills, how much work, what budget, when."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    null,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from ..skills.models import Skill, keep_skill_names, task_skills


class Category(StrEnum):
    INBOX_CALENDAR = "inbox_calendar"
    BOOKKEEPING = "bookkeeping"
    CUSTOMER_SUPPORT = "customer_support"
    DATA_ENTRY = "data_entry"
    SOCIAL_MEDIA = "social_media"
    TRAVEL = "travel"
    RESEARCH = "research"
    ECOMMERCE = "ecommerce"
    WRITING = "writing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.INBOX_CALENDAR: "Inbox & calendar",
    Category.BOOKKEEPING: "Bookkeeping",
    Category.CUSTOMER_SUPPORT: "Customer support",
    Category.DATA_ENTRY: "Data entry",
    Category.SOCIAL_MEDIA: "Social media",
    Category.TRAVEL: "Travel booking",
    Category.RESEARCH: "Research",
    Category.ECOMMERCE: "E-commerce listings",
    Category.WRITING: "Writing & content",
    Category.OTHER: "Other admin",
}


class Engagement(StrEnum):
    ONE_OFF = "one_off"
    RECURRING = "recurring"


class BudgetType(StrEnum):
    FIXED = "fixed"
    HOURLY = "hourly"


class TaskStatus(StrEnum):
    OPEN = "open"
    HIRED = "hired"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# The most assistants one task can be open to ("2 assistants for customer emails").
MAX_OPENINGS = 20


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(
            "(engagement = 'one_off' AND estimated_hours IS NOT NULL)"
            " OR (engagement = 'recurring' AND hours_per_week IS NOT NULL)",
            name="engagement_has_hours",
        ),
        CheckConstraint(
            "(budget_type = 'fixed' AND budget_cents > 0)"
            " OR (budget_type = 'hourly' AND max_hourly_rate_cents > 0)",
            name="budget_is_positive",
        ),
        CheckConstraint("overlap_hours BETWEEN 0 AND 12", name="sane_overlap"),
        CheckConstraint(f"openings BETWEEN 1 AND {MAX_OPENINGS}", name="sane_openings"),
        Index("ix_tasks_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[Category] = mapped_column(str_enum(Category, "task_category"))
    engagement: Mapped[Engagement] = mapped_column(str_enum(Engagement, "task_engagement"))
    estimated_hours: Mapped[int | None] = mapped_column(Integer)
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    budget_type: Mapped[BudgetType] = mapped_column(str_enum(BudgetType, "task_budget_type"))
    budget_cents: Mapped[int | None] = mapped_column(Integer)
    max_hourly_rate_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64))
    overlap_hours: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[date | None] = mapped_column(Date)
    # How many assistants the owner wants on it: the task stays open (listed, in feeds and
    # matched) until that many contracts hold it (contracts.services.claim_opening).
    openings: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The skills' names, for full-text search (one document per task; see tasks/search.py).
    # Kept by keep_skill_names below: never set it by hand.
    skill_names: Mapped[str] = mapped_column(Text, default="", server_default="")

    owner: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    skills: Mapped[list[Skill]] = relationship(secondary=task_skills, order_by=Skill.name)

    @property
    def skill_list(self) -> list[str]:
        """The skills' names from the search document: lists show them without loading skills."""
        return [name for name in self.skill_names.split(", ") if name]

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    # Each rule below is written twice, once for a loaded task and once as SQL (search's
    # filters and sorting); tests/tasks/test_task_rules.py holds the two to the same answers.
    @hybrid_property
    def weekly_hours(self) -> int | None:
        """Hours a week the task asks of an assistant (a one-off counts as one week's work)."""
        if self.engagement == Engagement.RECURRING:
            return self.hours_per_week
        return self.estimated_hours

    @weekly_hours.inplace.expression
    @classmethod
    def _weekly_hours_sql(cls) -> ColumnElement[int | None]:
        return case(
            (cls.engagement == Engagement.RECURRING, cls.hours_per_week),
            else_=cls.estimated_hours,
        )

    @hybrid_property
    def pay_per_hour_cents(self) -> int | None:
        """What the task pays per hour: its hourly maximum, or a one-off's fixed budget spread
        over its estimated hours (whole cents, rounded down); None when it does not say."""
        if self.budget_type == BudgetType.HOURLY:
            return self.max_hourly_rate_cents
        if self.engagement == Engagement.ONE_OFF and self.budget_cents and self.estimated_hours:
            return self.budget_cents // self.estimated_hours
        return None

    @pay_per_hour_cents.inplace.expression
    @classmethod
    def _pay_per_hour_cents_sql(cls) -> ColumnElement[int | None]:
        spread = and_(
            cls.engagement == Engagement.ONE_OFF, cls.budget_cents > 0, cls.estimated_hours > 0
        )
        return case(
            (cls.budget_type == BudgetType.HOURLY, cls.max_hourly_rate_cents),
            (spread, cls.budget_cents // cls.estimated_hours),
            else_=null(),
        )


keep_skill_names(Task)
