"""What delegating is worth where the owner decides: a task's line ("frees about 10 h a week of
your time, worth $1,200, for about $250 at today's rates") and the hours handed off so far."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median_low

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts.models import Contract, ContractKind, ContractStatus
from ..contracts.pricing import share_of
from ..timesheets.models import Timesheet, TimesheetStatus
from .models import Plan


@dataclass(frozen=True)
class Recaptured:
    minutes: int  # work done for the owner and paid for
    assistants: int  # who did it
    hourly_worth_cents: int | None  # what the owner's plan says an hour of theirs is worth
    worth_cents: int | None  # those minutes at that worth
    currency: str


def recaptured(session: Session, owner: User) -> Recaptured:
    """Paid work only: fixed contracts approved or paid out, hourly weeks charged or paid."""
    fixed = session.execute(
        select(Contract.assistant_id, Contract.hours * 60).where(
            Contract.owner_id == owner.id,
            Contract.kind == ContractKind.FIXED,
            Contract.status.in_((ContractStatus.APPROVED, ContractStatus.PAID)),
        )
    ).all()
    weekly = session.execute(
        select(Contract.assistant_id, Timesheet.approved_minutes)
        .join(Contract, Contract.id == Timesheet.contract_id)
        .where(
            Contract.owner_id == owner.id,
            Timesheet.status.in_((TimesheetStatus.CHARGED, TimesheetStatus.PAID)),
        )
    ).all()
    minutes = sum(m for _, m in (*fixed, *weekly))
    worth, currency = worth_of(session, owner)
    return Recaptured(
        minutes=minutes,
        assistants=len({a for a, _ in (*fixed, *weekly)}),
        hourly_worth_cents=worth,
        worth_cents=share_of(worth, minutes, 60) if worth else None,
        currency=currency,
    )


def worth_of(session: Session, owner: User) -> tuple[int | None, str]:
    """(what the owner's plan says an hour of their time is worth, its currency)."""
    plan = session.scalar(select(Plan).where(Plan.owner_id == owner.id))
    if plan is None:
        return None, "USD"
    return plan.hourly_worth_cents, plan.currency


@dataclass(frozen=True)
class TaskRoi:
    hours: int
    weekly: bool
    worth_cents: int | None  # those hours of the owner's time, if their plan says
    cost_cents: int | None  # at the middle rate of the assistants recommended for it
    assistants: int  # how many rates that middle is of


def task_roi(task, rates_cents: list[int], hourly_worth_cents: int | None) -> TaskRoi | None:
    """The task's line, from the recommended assistants' rates (in the task's currency) and
    the owner's worth; None when there is nothing to say."""
    hours = task.weekly_hours
    if not hours:
        return None
    rate = median_low(rates_cents) if rates_cents else None
    roi = TaskRoi(
        hours=hours,
        weekly=task.hours_per_week is not None and task.estimated_hours is None,
        worth_cents=hourly_worth_cents * hours if hourly_worth_cents else None,
        cost_cents=rate * hours if rate else None,
        assistants=len(rates_cents),
    )
    return roi if roi.worth_cents or roi.cost_cents else None
