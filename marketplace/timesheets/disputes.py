"""An operator settles the time an owner disputed on a week: pay the assistant for all or
part of it (the owner's saved card charged off-session at the contract's rate, the assistant
paid their share less the fee fixed at hire), or uphold the dispute (nothing charged).

Money moves in the steps weekly billing uses, so Stripe is never called while a row is
locked or a write is pending: ``decide`` claims the entries for one decision (a
compare-and-set on each entry, committed by the view with its audit row); then
``settlement_money`` charges and pays out with no transaction open, keyed by the decision's
id, and records what Stripe did by a compare-and-set on the decision. Services flush; views
and jobs commit.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import services as contracts
from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound
from ..notifications.notices import notify_time_dispute_settled
from ..operator.services import audit, clean_reason
from .models import (
    DisputeSettlement,
    SettlementOutcome,
    SettlementStatus,
    TimeEntry,
    Timesheet,
)
from .services import price, transition
from .weeks import format_minutes

# Unsettled, for the console's queue: still to decide, or decided and money still to move.
OPEN_STATUSES = (
    SettlementStatus.CHARGING,
    SettlementStatus.CHARGE_FAILED,
    SettlementStatus.CHARGED,
)


# What is waiting ---------------------------------------------------------------------------
def undecided(sheet: Timesheet) -> list[TimeEntry]:
    """The week's disputed entries no operator has decided on yet."""
    return [e for e in sheet.entries if e.dispute_reason and e.settlement_id is None]


def weeks_to_settle(session: Session, contract_id: int | None = None) -> list[Timesheet]:
    """Weeks with disputed time still undecided, or decided with money still to move."""
    undecided_entries = (
        select(TimeEntry.timesheet_id)
        .where(TimeEntry.dispute_reason.is_not(None), TimeEntry.settlement_id.is_(None))
        .scalar_subquery()
    )
    unfinished = (
        select(DisputeSettlement.timesheet_id)
        .where(DisputeSettlement.status.in_(OPEN_STATUSES))
        .scalar_subquery()
    )
    stmt = select(Timesheet).where(
        Timesheet.id.in_(undecided_entries) | Timesheet.id.in_(unfinished)
    )
    if contract_id is not None:
        stmt = stmt.where(Timesheet.contract_id == contract_id)
    return list(session.scalars(stmt.order_by(Timesheet.week_start, Timesheet.id)))


def settlements_of(session: Session, timesheet_id: int) -> list[DisputeSettlement]:
    return list(
        session.scalars(
            select(DisputeSettlement)
            .where(DisputeSettlement.timesheet_id == timesheet_id)
            .order_by(DisputeSettlement.id)
        )
    )


def parse_minutes(hours: str | None, minutes: str | None) -> int:
    """The operator's "1 h 30 min" as minutes; blank fields count as 0."""
    try:
        h = int((hours or "0").strip() or 0)
        m = int((minutes or "0").strip() or 0)
    except ValueError as exc:
        raise Invalid("Enter whole hours and minutes, such as 1 h 30 min.", "minutes") from exc
    if h < 0 or not 0 <= m < 60:
        raise Invalid("Enter hours, and minutes between 0 and 59.", "minutes")
    return h * 60 + m


# Deciding ----------------------------------------------------------------------------------
def decide(
    session: Session,
    operator: User,
    timesheet_id: int,
    entry_id: int | None,
    outcome: SettlementOutcome,
    minutes: int,
    note: str,
    reason: str,
) -> DisputeSettlement:
    """Decide on one disputed entry (``entry_id``) or on all the week's undecided ones (None),
    and claim them for this decision. Of two operators deciding at once, one claims them and
    the other gets a Conflict, before anybody has called Stripe. A frozen contract (a party
    suspended) is no obstacle: settling it is what the operator is for."""
    reason = clean_reason(reason)
    note = clean_reason(note, "note")
    sheet = session.get(Timesheet, timesheet_id)
    if sheet is None:
        raise NotFound("No such timesheet.")
    contract = contracts.lock(session, sheet.contract_id)
    session.refresh(sheet)
    entries = [
        e
        for e in session.scalars(
            select(TimeEntry)
            .where(TimeEntry.timesheet_id == sheet.id)
            .execution_options(populate_existing=True)
        )
        if e.dispute_reason and e.settlement_id is None and entry_id in (None, e.id)
    ]
    if not entries:
        raise Conflict("That disputed time has been settled already.")
    disputed = sum(e.minutes for e in entries)
    if outcome == SettlementOutcome.UPHOLD:
        minutes = 0
    elif not 0 < minutes <= disputed:
        raise Invalid(
            f"Pay for more than nothing and at most the {format_minutes(disputed)} disputed.",
            "minutes",
        )
    amount, fee = price(contract, minutes)
    if outcome == SettlementOutcome.PAY and amount == 0:
        raise Invalid("That is less than a cent at the contract's rate.", "minutes")
    settlement = DisputeSettlement(
        timesheet_id=sheet.id,
        operator_id=operator.id,
        outcome=outcome,
        minutes=minutes,
        amount_cents=amount,
        fee_cents=fee,
        note=note,
        status=(
            SettlementStatus.CHARGING
            if outcome == SettlementOutcome.PAY
            else SettlementStatus.SETTLED
        ),
        charge_attempt=0,
        created_at=utcnow(),
    )
    session.add(settlement)
    session.flush()
    ids = [e.id for e in entries]
    claimed = rows_changed(
        session,
        update(TimeEntry)
        .where(
            TimeEntry.id.in_(ids),
            TimeEntry.dispute_reason.is_not(None),
            TimeEntry.settlement_id.is_(None),
        )
        .values(settlement_id=settlement.id)
        .execution_options(synchronize_session=False),
    )
    if claimed != len(ids):
        raise Conflict("Another operator has just settled this disputed time.")
    if outcome == SettlementOutcome.UPHOLD:
        settlement.settled_at = settlement.created_at
    session.flush()
    for entry in entries:  # the bulk update above left their settlement_id unread
        session.expire(entry)
    session.expire(settlement, ["entries"])
    audit(
        session,
        operator,
        f"timesheet_dispute.{outcome.value}",
        "timesheet",
        sheet.id,
        reason,
        settlement_id=settlement.id,
        contract_id=contract.id,
        entries=ids,
        disputed_minutes=disputed,
        paid_minutes=minutes,
        amount_cents=amount,
        fee_cents=fee,
        currency=contract.currency,
        note=note,
    )
    if outcome == SettlementOutcome.UPHOLD:
        notify_time_dispute_settled(session, settlement)
    return settlement


def retry(session: Session, operator: User, settlement_id: int, reason: str) -> DisputeSettlement:
    """An operator asks again for a settlement whose money has not all moved. After a
    declined card it is a new attempt (a new idempotency key: the owner may have saved a new
    card); otherwise the same keys, so whatever Stripe did already is not done twice. The
    audit row commits before Stripe is called."""
    reason = clean_reason(reason)
    settlement = session.get(DisputeSettlement, settlement_id)
    if settlement is None:
        raise NotFound("No such settlement.")
    attempt = settlement.charge_attempt
    renewed = transition(
        session,
        settlement,
        [SettlementStatus.CHARGE_FAILED],
        SettlementStatus.CHARGING,
        DisputeSettlement.charge_attempt == attempt,
        charge_attempt=attempt + 1,
    )
    if not renewed and settlement.status == SettlementStatus.SETTLED:
        raise Conflict("This settlement is finished already.")
    audit(
        session,
        operator,
        "timesheet_dispute.retry",
        "timesheet",
        settlement.timesheet_id,
        reason,
        settlement_id=settlement.id,
        last_error=settlement.last_error,
        charge_attempt=settlement.charge_attempt,
    )
    return settlement


def unfinished_ids(session: Session, status: SettlementStatus) -> list[int]:
    return list(
        session.scalars(
            select(DisputeSettlement.id)
            .where(DisputeSettlement.status == status)
            .order_by(DisputeSettlement.id)
        )
    )
