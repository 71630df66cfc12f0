"""Hours an owner has handed off so far, from their contracts: the planner's promise, kept."""

from __future__ import annotations

from dataclasses import dataclass

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
    plan = session.scalar(select(Plan).where(Plan.owner_id == owner.id))
    worth = plan.hourly_worth_cents if plan is not None else None
    return Recaptured(
        minutes=minutes,
        assistants=len({a for a, _ in (*fixed, *weekly)}),
        hourly_worth_cents=worth,
        worth_cents=share_of(worth, minutes, 60) if worth else None,
        currency=plan.currency if plan is not None else "USD",
    )
