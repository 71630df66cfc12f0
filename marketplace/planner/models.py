"""A delegation plan (the owner's audit of their week) and the market behind its prices."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from ..tasks.models import Category


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"


class Plan(Base):
    """One per owner, or one per visitor's browser (its token lives in the session) until
    the visitor signs up or logs in and the plan moves into the account."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("owner_id IS NOT NULL OR visitor_token IS NOT NULL", name="has_an_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    visitor_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    hourly_worth_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship()
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.position"
    )


class PlanItem(Base):
    __tablename__ = "plan_items"
    __table_args__ = (CheckConstraint("hours > 0", name="hours_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    # A catalogue item's key; None for an item the owner typed in.
    catalogue_key: Mapped[str | None] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120))
    category: Mapped[Category] = mapped_column(str_enum(Category, "task_category"))
    skills: Mapped[str] = mapped_column(String(300), default="")  # comma-separated
    needs_judgement: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[int] = mapped_column(Integer)
    period: Mapped[Period] = mapped_column(str_enum(Period, "plan_period"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A typed-in item is priced by a job of its own: None until that job has run.
    priced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Typical shared working hours with the plan's zone, by the job (matching.timezones).
    overlap_hours: Mapped[float | None] = mapped_column(Float)
    overlap_zone: Mapped[str | None] = mapped_column(String(64))
    # The task this item became (part of a bundle, perhaps).
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )

    plan: Mapped[Plan] = relationship(back_populates="items")

    @property
    def being_priced(self) -> bool:
        """A typed-in item whose own pricing job has not run yet."""
        return self.catalogue_key is None and self.priced_at is None

    @property
    def skill_list(self) -> list[str]:
        return [s for s in (part.strip() for part in (self.skills or "").split(",")) if s]


class MarketFit(Base):
    """An assistant the matcher found fit for a catalogue (or typed-in) item, with what the
    planner needs from their profile; rebuilt by the job, read by the plan page."""

    __tablename__ = "market_fits"
    __table_args__ = (UniqueConstraint("item_key", "assistant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_key: Mapped[str] = mapped_column(String(60))
    assistant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float] = mapped_column(Float)
    rate_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    work_start: Mapped[str] = mapped_column(String(5))
    work_end: Mapped[str] = mapped_column(String(5))
    hours_per_week: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
