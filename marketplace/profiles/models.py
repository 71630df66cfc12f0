"""Assistant profiles: what an assistant offers, at what rate, when."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..skills.models import Skill, assistant_skills, keep_skill_names


class AssistantProfile(Base):
    __tablename__ = "assistant_profiles"
    __table_args__ = (
        CheckConstraint("hourly_rate_cents > 0", name="positive_rate"),
        CheckConstraint("hours_per_week BETWEEN 1 AND 80", name="sane_hours"),
        CheckConstraint("review_count >= 0", name="review_count_not_negative"),
        # The order the directory and the front page list profiles in (read backwards):
        # six of 100,000 without sorting them all (migration 0037).
        Index("ix_assistant_profiles_listing", "review_count", "updated_at", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    headline: Mapped[str] = mapped_column(String(120))
    bio: Mapped[str] = mapped_column(Text, default="")
    hourly_rate_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Local wall-clock hours in ``timezone``; end before start means the shift crosses midnight.
    work_start: Mapped[time] = mapped_column(Time)
    work_end: Mapped[time] = mapped_column(Time)
    hours_per_week: Mapped[int] = mapped_column(Integer)
    rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The skills' names, for talent search (one document per profile; see talent/search.py).
    # Kept by keep_skill_names below: never set it by hand.
    skill_names: Mapped[str] = mapped_column(Text, default="", server_default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    # One time zone per person: the account's. The working hours are in it, times are shown
    # in it, and the matcher's overlap is measured from it (migration 0027 merged the two).
    @hybrid_property
    def timezone(self) -> str:
        return self.user.timezone

    @timezone.inplace.setter
    def _set_timezone(self, zone: str) -> None:
        if self.user.timezone != zone:
            self.user.timezone = zone
            self.updated_at = utcnow()  # the matcher's index re-reads profiles by this stamp

    @timezone.inplace.expression
    @classmethod
    def _timezone_sql(cls):
        return select(User.timezone).where(User.id == cls.user_id).scalar_subquery()

    skills: Mapped[list[Skill]] = relationship(secondary=assistant_skills, order_by=Skill.name)

    @property
    def skill_list(self) -> list[str]:
        """The skills' names from the search document: lists show them without loading skills."""
        return [name for name in self.skill_names.split(", ") if name]


keep_skill_names(AssistantProfile)
