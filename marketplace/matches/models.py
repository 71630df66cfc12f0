"""Stored matches between tasks and assistants, and owners' invitations to apply.

Pages read these rows; only job workers hold the matcher, so web processes stay small.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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
from ..enums import str_enum
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


class EventKind(StrEnum):
    IMPRESSION = "impression"  # on the owner's recommendations, or talent search for the task
    INVITE = "invite"
    PROPOSAL = "proposal"
    HIRE = "hire"  # a contract from a proposal or an accepted invitation
    REVIEW = "review"  # the owner reviewed the hired assistant; value is the rating
    SHORTLIST = "shortlist"  # the owner put the assistant's proposal on their short list
    DECLINE = "decline"  # the owner declined the assistant's proposal


class MatchEvent(Base):
    """What happened to a (task, assistant) pair, for the matcher to learn from
    (`marketplace.matches.events`). Append-only; numbers and ids only, no personal text."""

    __tablename__ = "match_events"
    __table_args__ = (
        # One row per action (and per task, assistant and day for impressions), so a reload,
        # a double click or a retried job records nothing twice.
        UniqueConstraint("dedup_key", name="uq_match_events_dedup_key"),
        # The index build reads every event in order; a pair's history is read by task.
        Index("ix_match_events_task_assistant", "task_id", "assistant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    assistant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "match_event_kind"))
    value: Mapped[float | None] = mapped_column(Float)
    # the matcher's score and per-factor values for the pair when it happened (the stored
    # match's); None when the pair had no stored match then
    score: Mapped[float | None] = mapped_column(Float)
    factors: Mapped[dict | None] = mapped_column(JSON)
    position: Mapped[int | None] = mapped_column(Integer)  # 1-based place on the page
    dedup_key: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
