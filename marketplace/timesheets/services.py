"""Logging time on an hourly contract, closing its weeks, and the owner's review.

Every change of a timesheet's state is a compare-and-set on its row (``transition``), under
the contract's row lock on PostgreSQL where the parties act, so two workers closing the same
week, or an owner approving while the review window runs out, change it once. Charging the
approved weeks is ``billing``'s; nothing here talks to Stripe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import services as contracts
from ..contracts.models import Contract, ContractKind, ContractStatus
from ..contracts.pricing import share_of
from ..db import rows_changed, today_in, utcnow
from ..errors import Conflict, Invalid, NotFound
from ..jobs.upserts import insert_ignoring_duplicates
from ..notifications import notices
from ..reviews import services as reviews
from .models import DisputeSettlement, TimeEntry, Timesheet, TimesheetStatus
from .weeks import closes_at, format_minutes, week_start

MEMO_MAX = 300


def zone_of(user: User) -> str:
    """The one zone a person's dates and weeks are read in: their account's."""
    return user.timezone or "UTC"


def week_closes_at(contract: Contract, start: date) -> datetime:
    return closes_at(start, zone_of(contract.owner), zone_of(contract.assistant))


def amount_for(minutes: int, rate_cents: int) -> int:
    """What ``minutes`` of work at an hourly rate cost, rounded half up to a whole cent."""
    return share_of(rate_cents, minutes, 60)


def price(contract: Contract, minutes: int) -> tuple[int, int]:
    """(what the owner pays, of which Delegate's fee) for ``minutes`` of the contract's work,
    at its rate and the fee fixed at hire."""
    amount = amount_for(minutes, contract.rate_cents)
    return amount, share_of(amount, contract.fee_bps or 0, 10_000)


# Logging time ---------------------------------------------------------------------------


def why_no_time(session: Session, contract: Contract) -> str | None:
    """Why the assistant cannot log new time on this contract now, or None when they can.

    The one statement of that rule: the pages show it instead of the form, and ``log_time``
    refuses with it."""
    if not contract.is_hourly:
        return "Time is logged on hourly contracts only."
    if contract.frozen_reason:
        return contract.frozen_reason
    if contract.status == ContractStatus.PAUSED:
        return "The owner has paused this contract; time can be logged again once they resume it."
    if contract.status != ContractStatus.ACTIVE:
        return f"This contract is {contract.status.label.lower()}; no more time can be logged."
    from ..payments.cards import saved_card  # the card layer imports contracts: import late

    if saved_card(session, contract.owner_id) is None:
        return (
            "The owner has not saved a card yet. Time can be logged once they have, so every "
            "hour you work can be paid."
        )
    failed = session.scalar(
        select(Timesheet.id).where(
            Timesheet.contract_id == contract.id,
            Timesheet.status == TimesheetStatus.CHARGE_FAILED,
        )
    )
    if failed is not None:
        return (
            "The owner's last payment failed. New time can be logged once they have paid "
            "for the week already worked."
        )
    return None


@dataclass(frozen=True)
class Entry:
    """What the assistant typed for one day: validated by ``log_time``/``edit_entry``."""

    work_date: date
    minutes: int
    memo: str


def log_time(session: Session, assistant: User, contract_id: int, entry: Entry) -> TimeEntry:
    contract = _lock_for(session, assistant, contract_id, "assistant", "log time")
    problem = why_no_time(session, contract)
    if problem:
        raise Conflict(problem)
    _check_entry(contract, entry)
    sheet = _open_sheet(session, contract, entry.work_date)
    _check_limit(session, contract, sheet, entry.minutes)
    row = TimeEntry(
        timesheet_id=sheet.id, work_date=entry.work_date, minutes=entry.minutes, memo=entry.memo
    )
    session.add(row)
    session.flush()
    return row


def edit_entry(session: Session, assistant: User, entry_id: int, entry: Entry) -> TimeEntry:
    row, contract = _own_entry(session, assistant, entry_id)
    if week_start(entry.work_date) != row.timesheet.week_start:
        raise Invalid(
            "An entry stays in its week; delete it and log the other day instead.", "work_date"
        )
    _check_entry(contract, entry)
    _check_limit(session, contract, row.timesheet, entry.minutes - row.minutes)
    row.work_date, row.minutes, row.memo = entry.work_date, entry.minutes, entry.memo
    session.flush()
    return row


def delete_entry(session: Session, assistant: User, entry_id: int) -> Contract:
    row, contract = _own_entry(session, assistant, entry_id)
    session.delete(row)
    session.flush()
    return contract


def _own_entry(session: Session, assistant: User, entry_id: int) -> tuple[TimeEntry, Contract]:
    """An entry of this assistant's, in a week still open, under the contract's lock."""
    row = session.get(TimeEntry, entry_id)
    if row is None or row.timesheet.contract.assistant_id != assistant.id:
        raise NotFound("This time entry does not exist.")
    contract = _lock_for(session, assistant, row.timesheet.contract_id, "assistant", "change time")
    session.refresh(row.timesheet)
    if row.timesheet.status != TimesheetStatus.OPEN or utcnow() >= row.timesheet.closes_at:
        raise Conflict("That week has closed; its time can no longer be changed.")
    return row, contract


def _lock_for(session: Session, user: User, contract_id: int, party: str, action: str) -> Contract:
    contract = contracts.lock(session, contract_id)
    if contract.party(user) is None:
        raise NotFound("This contract does not exist.")
    contracts.require_party(contract, user, party, action)
    return contract


def _check_entry(contract: Contract, entry: Entry) -> None:
    zone = zone_of(contract.assistant)
    today = today_in(zone)
    if entry.work_date > today:
        raise Invalid("Log time for today or an earlier day, not a day still to come.", "work_date")
    started = contract.created_at.astimezone(ZoneInfo(zone)).date()
    if entry.work_date < started:
        raise Invalid(
            f"The contract started on {started:%a %d %b %Y}; log time from that day on.",
            "work_date",
        )
    if contract.ends_on is not None and entry.work_date > contract.ends_on:
        raise Invalid(f"The contract ended on {contract.ends_on:%a %d %b %Y}.", "work_date")
    if not 1 <= entry.minutes <= 24 * 60:
        raise Invalid("Log between 1 minute and 24 hours for a day.", "minutes")
    if not entry.memo.strip():
        raise Invalid("Say in a few words what you did.", "memo")
    if len(entry.memo) > MEMO_MAX:
        raise Invalid(f"Keep the note under {MEMO_MAX} characters.", "memo")


def _open_sheet(session: Session, contract: Contract, work_date: date) -> Timesheet:
    """The week holding `work_date`, created on its first entry; refused once it has closed."""
    start = week_start(work_date)
    insert_ignoring_duplicates(
        session,
        Timesheet,
        {
            "contract_id": contract.id,
            "week_start": start,
            "status": TimesheetStatus.OPEN,
            "closes_at": week_closes_at(contract, start),
            "charge_attempt": 0,
            "checkout_attempt": 0,
            "auto_approved": False,
            "created_at": utcnow(),
        },
    )
    sheet = session.scalars(
        select(Timesheet)
        .where(Timesheet.contract_id == contract.id, Timesheet.week_start == start)
        .execution_options(populate_existing=True)
    ).one()  # inserted just now, or by the request that got there first
    if sheet.status != TimesheetStatus.OPEN or utcnow() >= sheet.closes_at:
        raise Conflict(
            f"The week of {start:%d %b} has closed; time for it can no longer be logged.",
            "work_date",
        )
    return sheet


def _check_limit(session: Session, contract: Contract, sheet: Timesheet, more: int) -> None:
    logged = session.scalars(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.timesheet_id == sheet.id
        )
    ).one()
    limit = contract.hours * 60
    if logged + more > limit:
        left = max(limit - logged, 0)
        raise Invalid(
            f"This week has {format_minutes(logged)} logged of the {contract.hours} h weekly "
            f"limit; at most {format_minutes(left) if left else 'no more time'} can be added."
            if left
            else f"This week has reached the {contract.hours} h weekly limit; no more time "
            "can be logged for it.",
            "minutes",
        )


# Closing weeks and the review ----------------------------------------------------------


def transition(
    session: Session,
    row: Timesheet | DisputeSettlement,
    allowed_from: Iterable[StrEnum],
    to: StrEnum,
    *conditions,
    **values,
) -> bool:
    """Compare-and-set the status of a timesheet (or of an operator's settlement of its
    disputed time); False (and the row re-read) when another request or worker moved it
    first."""
    model = type(row)
    moved = rows_changed(
        session,
        update(model)
        .where(model.id == row.id, model.status.in_(tuple(allowed_from)), *conditions)
        .values(status=to, **values)
        .execution_options(synchronize_session=False),
    )
    session.refresh(row)
    return moved == 1


def close_due_weeks(session: Session, review_days: int) -> int:
    """Every open week whose Sunday has ended goes to the owner for review (or, with nothing
    logged, ends with nothing to bill). Safe to run twice or late, from any worker."""
    now = utcnow()
    due = session.scalars(
        select(Timesheet).where(
            Timesheet.status == TimesheetStatus.OPEN, Timesheet.closes_at <= now
        )
    ).all()
    closed = 0
    for sheet in due:
        if not sheet.entries:
            transition(session, sheet, [TimesheetStatus.OPEN], TimesheetStatus.NOTHING_DUE)
            reviews.contract_ended(session, sheet.contract)  # it may have been the last week
            continue
        review_due = sheet.closes_at + timedelta(days=review_days)
        if transition(
            session,
            sheet,
            [TimesheetStatus.OPEN],
            TimesheetStatus.IN_REVIEW,
            review_due_at=review_due,
        ):
            closed += 1
            notices.notify_timesheet_ready(session, sheet)
    session.flush()
    return closed


def remind_before_auto_approval(session: Session) -> None:
    """A day before the review window closes, tell the owner it is approved tomorrow."""
    soon = utcnow() + timedelta(days=1)
    for sheet in session.scalars(
        select(Timesheet).where(
            Timesheet.status == TimesheetStatus.IN_REVIEW, Timesheet.review_due_at <= soon
        )
    ):
        notices.notify_review_closing(session, sheet)
    session.flush()


def auto_approve_due(session: Session) -> list[int]:
    """Weeks the owner did not answer within the window: approved as logged."""
    now = utcnow()
    approved = []
    for sheet in session.scalars(
        select(Timesheet).where(
            Timesheet.status == TimesheetStatus.IN_REVIEW, Timesheet.review_due_at <= now
        )
    ).all():
        if _approve(session, sheet, {}, automatic=True):
            approved.append(sheet.id)
    return approved


def timesheet_for(session: Session, user: User, timesheet_id: int) -> Timesheet:
    """A timesheet its contract's two parties can see; to anyone else it does not exist."""
    sheet = session.get(Timesheet, timesheet_id)
    if sheet is None or sheet.contract.party(user) is None:
        raise NotFound("This timesheet does not exist.")
    return sheet


def review(
    session: Session, owner: User, timesheet_id: int, disputes: Mapping[int, str]
) -> Timesheet:
    """The owner approves a closed week, minus the entries they dispute (id -> reason)."""
    sheet = timesheet_for(session, owner, timesheet_id)
    _lock_for(session, owner, sheet.contract_id, "owner", "review timesheets")
    session.refresh(sheet)
    if sheet.status != TimesheetStatus.IN_REVIEW:
        raise Conflict(
            f"This timesheet is {sheet.status.label.lower()}; it is not waiting for review."
        )
    ids = {e.id for e in sheet.entries}
    for entry_id, reason in disputes.items():
        if entry_id not in ids:
            raise Invalid("That entry is not in this timesheet.")
        if not reason.strip():
            raise Invalid("Say why you dispute each entry you untick.", f"reason-{entry_id}")
        if len(reason) > MEMO_MAX:
            raise Invalid(f"Keep each reason under {MEMO_MAX} characters.", f"reason-{entry_id}")
    if not _approve(session, sheet, disputes, automatic=False):
        raise Conflict(
            f"This timesheet is {sheet.status.label.lower()}; it is not waiting for review."
        )
    return sheet


def _approve(
    session: Session, sheet: Timesheet, disputes: Mapping[int, str], *, automatic: bool
) -> bool:
    contract = sheet.contract
    for entry in sheet.entries:
        entry.dispute_reason = disputes.get(entry.id)
    minutes = sum(e.minutes for e in sheet.entries if e.id not in disputes)
    amount, fee = price(contract, minutes)
    to = TimesheetStatus.APPROVED if amount > 0 else TimesheetStatus.NOTHING_DUE
    won = transition(
        session,
        sheet,
        [TimesheetStatus.IN_REVIEW],
        to,
        approved_minutes=minutes,
        amount_cents=amount,
        fee_cents=fee,
        auto_approved=automatic,
        approved_at=utcnow(),
    )
    if not won:
        session.expire_all()  # the dispute reasons above belong to a review that lost the race
        return False
    if disputes:
        notices.notify_timesheet_disputed(session, sheet)
    else:
        notices.notify_timesheet_approved(session, sheet)
    if to == TimesheetStatus.NOTHING_DUE:  # the last week may have been waiting on this one
        reviews.contract_ended(session, contract)
    session.flush()
    return True


# Pause, resume, end ------------------------------------------------------------------


def pause(session: Session, owner: User, contract_id: int) -> Contract:
    contract = _lock_for(session, owner, contract_id, "owner", "pause the contract")
    contracts.transition(
        session, contract, [ContractStatus.ACTIVE], ContractStatus.PAUSED, paused_at=utcnow()
    )
    notices.notify_contract_paused(session, contract)
    return contract


def resume(session: Session, owner: User, contract_id: int) -> Contract:
    contract = _lock_for(session, owner, contract_id, "owner", "resume the contract")
    contracts.transition(
        session, contract, [ContractStatus.PAUSED], ContractStatus.ACTIVE, paused_at=None
    )
    return contract


def end(session: Session, user: User, contract_id: int) -> Contract:
    """Either side ends an hourly contract. The week running keeps its time and closes as
    usual; it and every closed week still go through review, billing and payout."""
    contract = contracts.lock(session, contract_id)
    party = contract.party(user)
    if party is None or not contract.is_hourly:
        raise NotFound("This contract does not exist.")
    contracts.require_party(contract, user, party, "end the contract")
    other = contract.assistant_id if party == "owner" else contract.owner_id
    _end(session, contract, [other])
    return contract


def end_finished(session: Session) -> int:
    """Hourly contracts whose last day has passed where the owner is end by themselves; both
    sides are told, and the weeks worked still go through review and payment."""
    ended = 0
    candidates = session.scalars(
        select(Contract).where(
            Contract.kind == ContractKind.HOURLY,
            Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.PAUSED)),
            Contract.ends_on < utcnow().date() + timedelta(days=1),
        )
    ).all()
    for contract in candidates:
        assert contract.ends_on is not None  # the query's own condition
        if contract.ends_on >= today_in(zone_of(contract.owner)):
            continue
        try:
            _end(session, contract, [contract.owner_id, contract.assistant_id])
        except Conflict:  # ended by a party, or by another worker, meanwhile
            continue
        ended += 1
    return ended


def _end(session: Session, contract: Contract, tell: list[int]) -> None:
    """The one way an hourly contract ends: compare-and-set, the task done, those in `tell`
    told, and reviews asked for if a week was paid for."""
    contracts.transition(
        session,
        contract,
        [ContractStatus.ACTIVE, ContractStatus.PAUSED],
        ContractStatus.ENDED,
        ended_at=utcnow(),
    )
    contracts.finish_task(session, contract.task)
    notices.notify_contract_ended(session, contract, tell)
    reviews.contract_ended(session, contract)
    session.flush()


# What the pages show -------------------------------------------------------------------


def timesheets_of(session: Session, contract: Contract) -> list[Timesheet]:
    return list(
        session.scalars(
            select(Timesheet)
            .where(Timesheet.contract_id == contract.id)
            .order_by(Timesheet.week_start.desc())
        )
    )


def awaiting_payout(session: Session, assistant_id: int) -> list[Timesheet]:
    """Weeks the owner has paid for whose share has not reached the assistant yet."""
    return _weeks(
        session, Contract.assistant_id == assistant_id, Timesheet.status == TimesheetStatus.CHARGED
    )


BILLED = (
    TimesheetStatus.APPROVED,
    TimesheetStatus.CHARGE_FAILED,
    TimesheetStatus.CHARGED,
    TimesheetStatus.PAID,
)


def billed_weeks_of(session: Session, user: User) -> list[Timesheet]:
    """Every week this person was billed (owner) or is paid (assistant) for, newest first."""
    return _weeks(
        session,
        (Contract.owner_id == user.id) | (Contract.assistant_id == user.id),
        Timesheet.status.in_(BILLED),
    )


def _weeks(session: Session, *conditions) -> list[Timesheet]:
    return list(
        session.scalars(
            select(Timesheet)
            .join(Contract, Contract.id == Timesheet.contract_id)
            .where(*conditions)
            .order_by(Timesheet.week_start.desc(), Timesheet.id.desc())
        )
    )
