"""A report of a person, and how an operator closed a report (of a person or a message)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum


class ReportOutcome(StrEnum):
    DISMISSED = "dismissed"  # nothing wrong found
    REMOVED = "removed"  # the message was hidden from both parties
    SUSPENDED = "suspended"  # the reported person was suspended


# The short list a reporter chooses from: (stored value, what the form says).
PROFILE_REASONS = (
    ("fake", "Fake profile or pretending to be someone else"),
    ("off_platform", "Asks to be paid or to talk outside Delegate"),
    ("scam", "Scam or fraud"),
    ("abuse", "Harassment, hate or abuse"),
    ("inappropriate", "Inappropriate content"),
    ("other", "Something else"),
)
PROFILE_REASON_LABELS = dict(PROFILE_REASONS)

_OPEN = text("resolved_at IS NULL")


class ProfileReport(Base):
    """Somebody reported a person to the operators; open until an operator closes it."""

    __tablename__ = "profile_reports"
    __table_args__ = (
        # One open report per reporter per person: reporting again while it is open records
        # nothing new, yet a person reported before and dismissed can be reported again.
        Index(
            "uq_profile_reports_open",
            "user_id",
            "reporter_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(32))  # a value of PROFILE_REASONS
    details: Mapped[str | None] = mapped_column(Text)  # the reporter's own words, if any
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[ReportOutcome | None] = mapped_column(
        str_enum(ReportOutcome, "profile_report_outcome")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="joined", innerjoin=True)

    @property
    def reason_label(self) -> str:
        return PROFILE_REASON_LABELS.get(self.reason, self.reason)
