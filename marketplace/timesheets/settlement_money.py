"""Moving the money of an operator's decision to pay disputed time: charge the owner's saved
card off-session, then transfer the assistant's share, as weekly billing does. Stripe is
called with no transaction open, keyed by the decision's id and charge attempt; what it did is
recorded by a compare-and-set on the decision, whether Stripe's answer says so at once or,
when the answer was lost, its webhook does (``payment_events``) or the reconcile command asks
again with the same key (``runner.settle_unfinished_disputes``). Services flush; callers
commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import stripe
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..notifications.notices import (
    notify_settlement_charge_failed,
    notify_settlement_payout_held,
    notify_time_dispute_settled,
)
from ..operator.services import audit
from ..payments import ledger
from ..payments.cards import charge_saved_card, saved_card
from ..payments.gateway import PaymentFacts, StripeGateway
from ..payments.models import EntryKind, PayoutAccount
from ..payments.services import charge_of
from .billing import check_charged, hold_taken_back_payout
from .disputes import OPEN_STATUSES
from .models import DisputeSettlement, SettlementStatus
from .services import transition

log = logging.getLogger(__name__)
NO_PAYOUT_ACCOUNT = "The assistant has no Stripe account that can receive payouts yet."


@dataclass(frozen=True)
class _Charge:
    settlement_id: int
    attempt: int
    amount_cents: int
    currency: str
    description: str
    customer_id: str | None
    payment_method_id: str | None
    decided_at: datetime  # before any charge of the decision


def payment_metadata(settlement_id: int, attempt: int) -> dict[str, str]:
    # Not timesheet_id nor contract_id: those route events to the week's handlers. The
    # attempt tells a late webhook which charge it is about (payment_events).
    return {"timesheet_dispute_id": str(settlement_id), "charge_attempt": str(attempt)}


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
        decided_at=settlement.created_at,
    )
    key = charge_key(settlement)
    session.rollback()  # no transaction open while Stripe answers
    if plan.payment_method_id is None or plan.customer_id is None:
        no_card = "There is no card saved to pay with."
        return declined(session, plan.settlement_id, plan.attempt, no_card)
    try:
        result = charge_saved_card(
            gateway,
            customer_id=plan.customer_id,
            payment_method_id=plan.payment_method_id,
            amount_cents=plan.amount_cents,
            currency=plan.currency,
            description=plan.description,
            idempotency_key=key,
            metadata=payment_metadata(plan.settlement_id, plan.attempt),
            since=plan.decided_at,
        )
    except stripe.StripeError as exc:
        log.exception("Charging dispute settlement %s failed; retry it", plan.settlement_id)
        return _error(session, plan.settlement_id, f"Stripe: {exc.user_message or exc}")
    if not result.succeeded:
        return declined(
            session, plan.settlement_id, plan.attempt, result.message or "The card was declined."
        )
    settlement = session.get_one(DisputeSettlement, plan.settlement_id)
    intent = result.payment_intent_id
    assert intent is not None, "a succeeded charge has its PaymentIntent"
    recorded = charged(
        session, settlement, intent, result.charge_id, result.amount_cents, plan.attempt
    )
    if not recorded and settlement.status == SettlementStatus.CHARGING:
        # Not another worker's win: the amount was refused (charged logged it).
        return _error(session, plan.settlement_id, "Stripe took a different amount; see the log.")
    return settlement.status


def charged(
    session: Session,
    settlement: DisputeSettlement,
    payment_intent_id: str,
    charge_id: str | None,
    amount_cents: int,
    attempt: int | None = None,
) -> bool:
    """Stripe took the settlement's money: record it (ledger rows, both parties told) by a
    compare-and-set. ``attempt``: Stripe's answer to that attempt's charge, which may only
    complete that attempt; None: its webhook (``charged_late``). True when this call did it."""
    if amount_cents != settlement.amount_cents:
        # Never seen from Stripe for a confirmed amount; refuse to call it paid.
        log.error(
            "Dispute settlement %s: paid %s, owed %s",
            settlement.id,
            amount_cents,
            settlement.amount_cents,
        )
        return False
    if attempt is None:
        # Heard from Stripe alone: the money is taken, whatever we last believed of the card.
        sources, guard = [SettlementStatus.CHARGING, SettlementStatus.CHARGE_FAILED], []
    else:
        sources, guard = [SettlementStatus.CHARGING], [DisputeSettlement.charge_attempt == attempt]
    if not transition(
        session,
        settlement,
        sources,
        SettlementStatus.CHARGED,
        *guard,
        payment_intent_id=payment_intent_id,
        charge_id=charge_id,
        charged_at=utcnow(),
        last_error=None,
    ):
        return False
    contract, sheet_id = settlement.timesheet.contract, settlement.timesheet_id
    cents = settlement.amount_cents
    ledger.record(session, contract, EntryKind.CHARGE, cents, payment_intent_id, sheet_id)
    ledger.record(
        session, contract, EntryKind.FEE, settlement.fee_cents, f"{payment_intent_id}:fee", sheet_id
    )
    notify_time_dispute_settled(session, settlement)
    session.flush()
    return True


def charged_late(
    session: Session,
    settlement: DisputeSettlement,
    payment_intent_id: str,
    charge_id: str | None,
    amount_cents: int,
) -> bool:
    """``charged`` as the webhook of a succeeded PaymentIntent tells it."""
    return charged(session, settlement, payment_intent_id, charge_id, amount_cents)


def declined(session: Session, settlement_id: int, attempt: int, message: str) -> SettlementStatus:
    """The card did not pay for ``attempt`` (Stripe's answer, or its webhook when the answer
    was lost): CHARGE_FAILED, the owner told, once; a later attempt is not touched."""
    settlement = session.get_one(DisputeSettlement, settlement_id)
    if transition(
        session,
        settlement,
        [SettlementStatus.CHARGING],
        SettlementStatus.CHARGE_FAILED,
        DisputeSettlement.charge_attempt == attempt,
        last_error=message,
    ):
        notify_settlement_charge_failed(session, settlement, attempt)
        session.flush()
    return settlement.status


def hold_if_taken_back(
    session: Session, settlement: DisputeSettlement, facts: PaymentFacts
) -> bool:
    """The settlement's payment refunded or disputed in Stripe: held as a week's is
    (``billing.hold_taken_back_payout``). A fact about another payment (a duplicate we
    refunded) changes nothing."""
    if settlement.payment_intent_id != facts.payment_intent_id:
        return False
    return hold_taken_back_payout(
        session,
        settlement,
        facts,
        sheet=settlement.timesheet,
        paid_cents=settlement.amount_cents,
        fee_cents=settlement.fee_cents,
        what="of the settled time",
        charged_status=SettlementStatus.CHARGED,
        notify=notify_settlement_payout_held,
    )


def check_charged_settlements(session: Session, gateway: StripeGateway) -> list[int]:
    return check_charged(
        session, gateway, DisputeSettlement, SettlementStatus.CHARGED, hold_if_taken_back
    )


def refund_duplicate(
    gateway: StripeGateway, settlement: DisputeSettlement, payment_intent_id: str
) -> None:
    """A second payment for a settlement already paid: all of it back. Never in the ledger."""
    gateway.create_refund(
        contract_id=settlement.timesheet.contract_id,
        payment_intent_id=payment_intent_id,
        key_suffix=f"timesheet-dispute-{settlement.id}-duplicate-{payment_intent_id}",
    )
    log.warning(
        "Refunded duplicate payment %s of dispute settlement %s", payment_intent_id, settlement.id
    )


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
    if settlement.payout_hold:
        return settlement.status  # taken back by the owner: support settles it
    contract = settlement.timesheet.contract
    account = session.get(PayoutAccount, contract.assistant_id)
    if account is None or not account.payouts_enabled:
        return _error(session, settlement.id, NO_PAYOUT_ACCOUNT)
    contract_id, currency, destination = contract.id, contract.currency, account.stripe_account_id
    net, intent_id, charge_id, charged_at = (
        settlement.net_cents,
        settlement.payment_intent_id,
        settlement.charge_id,
        settlement.charged_at,
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
            since=charged_at,
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
