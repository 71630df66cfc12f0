"""What delegating is worth where the owner decides: a task's line ("frees about 10 h a week of
your time, worth $1,200, for about $250 at today's rates") and the hours handed off so far."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts.models import Contract, ContractKind, ContractStatus
from ..contracts.pricing import share_of
from ..tasks.models import Category, Engagement, Task
from ..timesheets.models import Timesheet, TimesheetStatus
from .catalogue import nearest
from .market import fits_by_key, percentile, summarise
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
    minutes = sum(m or 0 for _, m in (*fixed, *weekly))
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
class Work:
    """What a task's line needs of it: a posted task's, or a task form's still being typed."""

    hours: int | None  # a week for recurring work; the whole estimate for a one-off
    weekly: bool
    currency: str
    title: str
    skills: list[str]
    category: Category

    @classmethod
    def of_task(cls, task: Task) -> Work:
        return cls(
            task.weekly_hours,
            task.engagement == Engagement.RECURRING,
            task.currency,
            task.title,
            [s.name for s in task.skills],
            task.category,
        )

    @classmethod
    def of_form(cls, form) -> Work:
        """A task form's fields as they stand; hours its validation refused count as unknown
        (the line follows the owner's typing, valid or not yet)."""
        recurring = form.engagement.data == Engagement.RECURRING.value
        field = form.hours_per_week if recurring else form.estimated_hours
        try:
            category = Category(form.category.data)
        except ValueError:
            category = Category.OTHER
        return cls(
            None if field.errors else field.data,
            recurring,
            form.currency.data or "USD",
            form.title.data or "",
            [s for s in form.skills.data or [] if isinstance(s, str)],
            category,
        )


@dataclass(frozen=True)
class TaskRoi:
    hours: int
    weekly: bool
    worth_cents: int | None  # those hours of the owner's time, if their plan says
    cost_cents: int | None  # at today's middle rate for the work (the fee is part of it)
    assistants: int  # how many rates that middle is of
    similar: str | None  # the catalogue work those rates are of, when no one is recommended
    asks_worth: bool  # the owner's plan puts no worth on their hour


def recommended_rates(recommendations, currency: str) -> list[int]:
    """The rates of a task's recommended assistants (``matches.services.ShownAssistant``)
    who charge in its currency."""
    return [r.rate_cents for r in recommendations or [] if r.currency == currency]


def task_roi(session: Session, owner: User, work: Work, recommended: list[int]) -> TaskRoi | None:
    """The one rule behind the line on the task page and on the task form: the hours at the
    owner's own worth, and at today's middle rate, that of the assistants recommended for
    the task, or (none yet: a form, a task still being matched) of the assistants fit for
    the catalogue work nearest to it. None when the hours are not known."""
    if not isinstance(work.hours, int) or work.hours <= 0:
        return None
    rate, assistants, similar = None, len(recommended), None
    if recommended:
        rate = percentile(sorted(recommended), 50)
    else:
        near = nearest(work.title, work.skills, work.category)
        if near is not None:
            entry = near[0]
            market = summarise(fits_by_key(session, {entry.key})[entry.key], work.currency, 0)
            if market.enough:
                rate, assistants, similar = market.median_cents, market.fits, entry.label
    worth, currency = worth_of(session, owner)
    same = currency == work.currency
    return TaskRoi(
        hours=work.hours,
        weekly=work.weekly,
        worth_cents=worth * work.hours if worth and same else None,
        cost_cents=rate * work.hours if rate is not None else None,
        assistants=assistants,
        similar=similar,
        asks_worth=not worth,
    )
