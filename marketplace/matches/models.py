"""Stored matches between tasks and assistants, and owners' invitations to apply.

Pages read these rows; only job workers hold the matcher, so web processes stay small.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..tasks.models import Task


class Match(Base):
    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("task_id", "assistant_id", name="uq_matches_task_assistant"),
        Index("ix_matches_task_score", "task_id", "score"),
        Index("ix_matches_assistant_score", "assistant_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    assistant_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_profiles.user_id", ondelete="CASCADE")
    )
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict] = mapped_column(JSON)
    matcher_version: Mapped[str] = mapped_column(String(32))
    # A pair stays while either side's latest ranking keeps it in its top k: ranking a task
    # must not erase what an assistant's own ranking found, and the other way round.
    ranked_for_task: Mapped[bool] = mapped_column(Boolean, default=False)
    ranked_for_assistant: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        # Once per assistant per task, decided by the database even under double clicks.
        UniqueConstraint("task_id", "assistant_id", name="uq_invitations_task_assistant"),
        CheckConstraint("rate_cents > 0 AND hours > 0", name="positive_terms"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    assistant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The terms the owner saw on the recommendation when inviting; accepting takes these,
    # whatever the profile says later. Empty only for invitations older than this rule.
    rate_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    hours: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assistant: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)
