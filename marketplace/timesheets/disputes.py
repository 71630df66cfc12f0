"""An operator settles the time an owner disputed on a week: pay the assistant for all or
part of it (the owner's saved card charged off-session at the contract's rate, the assistant
paid their share less the fee fixed at hire), or uphold the dispute (nothing charged).

Money moves in the steps weekly billing uses, so Stripe is never called while a row is
locked or a write is pending: ``decide`` claims the entries for one decision (a
compare-and-set on each entry, committed by the view with its audit row); ``charge`` and
``pay_out`` then call Stripe with no transaction open, keyed by the decision's id, and record
what Stripe did by a compare-and-set on the decision. Services flush; views and jobs commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import services as contracts
from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound
from ..notifications.models import Kind
from ..notifications.services import notify
from ..operator.services import audit, clean_reason
from ..payments import ledger
from ..payments.cards import charge_saved_card, saved_card
from ..payments.gateway import StripeGateway
from ..payments.models import EntryKind, PayoutAccount
from ..payments.services import charge_of
from .models import (
    DisputeSettlement,
    SettlementOutcome,
    SettlementStatus,
    TimeEntry,
    Timesheet,
)
from .services import price, transition
from .weeks import format_minutes

log = logging.getLogger(__name__)
NO_PAYOUT_ACCOUNT = "The assistant has no Stripe account that can receive payouts yet."
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
        _tell_both(session, settlement)
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


# Moving the money --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Charge:
    settlement_id: int
    attempt: int
    amount_cents: int
    currency: str
    description: str
    customer_id: str | None
    payment_method_id: str | None


def charge_key(settlement: DisputeSettlement) -> str:
    suffix = f"-{settlement.charge_attempt}" if settlement.charge_attempt else ""
    return f"timesheet-dispute-{settlement.id}-charge{suffix}"


def charge(session: Session, gateway: StripeGateway, settlement_id: int) -> SettlementStatus:
    """Charge the owner's saved card for a decision to pay, once. Returns the state it
    ended in; a declined card is CHARGE_FAILED (the owner told), Stripe unreachable leaves
    it CHARGING with the error, for a retry with the same key."""
    settlement = session.get(DisputeSettlement, settlement_id)
    if settlement is None or settlement.status != SettlementStatus.CHARGING:
        return settlement.status if settlement else SettlementStatus.SETTLED
    contract = settlement.timesheet.contract
    card = saved_card(session, contract.owner_id)
    plan = _Charge(
        settlement_id=settlement.id,
        attempt=settlement.charge_attempt,
        amount_cents=settlement.amount_cents,
        currency=contract.currency,
        description=(
            f"Delegate: {contract.task.title}, disputed time of the week of "
            f"{settlement.timesheet.week_start:%d %b %Y} settled by Delegate's support"
        ),
        customer_id=card.stripe_customer_id if card else None,
        payment_method_id=card.payment_method_id if card else None,
    )
    key = charge_key(settlement)
    session.rollback()  # no transaction open while Stripe answers
    if plan.payment_method_id is None or plan.customer_id is None:
        return _declined(session, plan, "There is no card saved to pay with.")
    try:
        result = charge_saved_card(
            gateway,
            customer_id=plan.customer_id,
            payment_method_id=plan.payment_method_id,
            amount_cents=plan.amount_cents,
            currency=plan.currency,
            description=plan.description,
            idempotency_key=key,
            # Not timesheet_id nor contract_id: those route events to the week's handlers.
            metadata={"timesheet_dispute_id": str(plan.settlement_id)},
        )
    except stripe.StripeError as exc:
        log.exception("Charging dispute settlement %s failed; retry it", plan.settlement_id)
        return _error(session, plan.settlement_id, f"Stripe: {exc.user_message or exc}")
    if not result.succeeded:
        return _declined(session, plan, result.message or "The card was declined.")
    if result.amount_cents != plan.amount_cents:
        log.error(
            "Dispute settlement %s: paid %s, owed %s",
            plan.settlement_id,
            result.amount_cents,
            plan.amount_cents,
        )
        return _error(session, plan.settlement_id, "Stripe took a different amount; see the log.")
    settlement = session.get_one(DisputeSettlement, plan.settlement_id)
    if transition(
        session,
        settlement,
        [SettlementStatus.CHARGING],
        SettlementStatus.CHARGED,
        DisputeSettlement.charge_attempt == plan.attempt,
        payment_intent_id=result.payment_intent_id,
        charge_id=result.charge_id,
        charged_at=utcnow(),
        last_error=None,
    ):
        contract = settlement.timesheet.contract
        intent, sheet_id = result.payment_intent_id, settlement.timesheet_id
        assert intent is not None, "a succeeded charge has its PaymentIntent"
        ledger.record(session, contract, EntryKind.CHARGE, plan.amount_cents, intent, sheet_id)
        ledger.record(
            session, contract, EntryKind.FEE, settlement.fee_cents, f"{intent}:fee", sheet_id
        )
        _tell_both(session, settlement)
        session.flush()
    return settlement.status


def _declined(session: Session, plan: _Charge, message: str) -> SettlementStatus:
    settlement = session.get_one(DisputeSettlement, plan.settlement_id)
    if transition(
        session,
        settlement,
        [SettlementStatus.CHARGING],
        SettlementStatus.CHARGE_FAILED,
        DisputeSettlement.charge_attempt == plan.attempt,
        last_error=message,
    ):
        notify(
            session,
            settlement.timesheet.contract.owner_id,
            Kind.SETTLEMENT_CHARGE_FAILED,
            f"timesheet_dispute:{settlement.id}:{plan.attempt}",
            {"settlement_id": settlement.id},
        )
        session.flush()
    return settlement.status


def _error(session: Session, settlement_id: int, message: str) -> SettlementStatus:
    settlement = session.get_one(DisputeSettlement, settlement_id)
    session.execute(
        update(DisputeSettlement)
        .where(
            DisputeSettlement.id == settlement_id,
            DisputeSettlement.status.in_(OPEN_STATUSES),
        )
        .values(last_error=message)
        .execution_options(synchronize_session=False)
    )
    session.refresh(settlement)
    return settlement.status


def pay_out(session: Session, gateway: StripeGateway, settlement_id: int) -> SettlementStatus:
    """Transfer the assistant's share of a charged settlement once their Stripe account can
    receive it; until then it waits (CHARGED, saying why), as every payout does."""
    settlement = session.get(DisputeSettlement, settlement_id)
    if settlement is None or settlement.status != SettlementStatus.CHARGED:
        return settlement.status if settlement else SettlementStatus.SETTLED
    contract = settlement.timesheet.contract
    account = session.get(PayoutAccount, contract.assistant_id)
    if account is None or not account.payouts_enabled:
        return _error(session, settlement.id, NO_PAYOUT_ACCOUNT)
    contract_id, currency, destination = contract.id, contract.currency, account.stripe_account_id
    net, intent_id, charge_id = (
        settlement.net_cents,
        settlement.payment_intent_id,
        settlement.charge_id,
    )
    session.rollback()  # no transaction open while Stripe answers
    try:
        assert intent_id is not None, "a charged settlement has its PaymentIntent"
        charge_id = charge_id or charge_of(gateway, intent_id)
        transfer = gateway.create_transfer(
            contract_id=contract_id,
            amount_cents=net,
            currency=currency,
            destination=destination,
            charge_id=charge_id,
            key_suffix=f"timesheet-dispute-{settlement_id}",
        )
    except stripe.StripeError as exc:
        log.exception("Payout of dispute settlement %s failed; it can be retried", settlement_id)
        return _error(session, settlement_id, f"Stripe: {exc.user_message or exc}")
    settlement = session.get_one(DisputeSettlement, settlement_id)
    if transition(
        session,
        settlement,
        [SettlementStatus.CHARGED],
        SettlementStatus.SETTLED,
        charge_id=charge_id,
        transfer_id=transfer.id,
        settled_at=utcnow(),
        last_error=None,
    ):
        ledger.record(
            session,
            settlement.timesheet.contract,
            EntryKind.TRANSFER,
            net,
            transfer.id,
            settlement.timesheet_id,
        )
        audit(
            session,
            settlement.operator,
            "timesheet_dispute.settled",
            "timesheet",
            settlement.timesheet_id,
            f"Settlement {settlement.id} paid out",
            settlement_id=settlement.id,
            payment_intent_id=settlement.payment_intent_id,
            transfer_id=transfer.id,
        )
        session.flush()
    return settlement.status


def unfinished_ids(session: Session, status: SettlementStatus) -> list[int]:
    return list(
        session.scalars(
            select(DisputeSettlement.id)
            .where(DisputeSettlement.status == status)
            .order_by(DisputeSettlement.id)
        )
    )


def _tell_both(session: Session, settlement: DisputeSettlement) -> None:
    contract = settlement.timesheet.contract
    for user_id in (contract.owner_id, contract.assistant_id):
        notify(
            session,
            user_id,
            Kind.TIMESHEET_DISPUTE_SETTLED,
            f"timesheet_dispute:{settlement.id}",
            {"settlement_id": settlement.id},
        )
