"""Stripe's webhooks about a week's payment (metadata ``timesheet_id``) and about a disputed
week's settlement (metadata ``timesheet_dispute_id``). Either payment refunded in Stripe's
dashboard or disputed by the card holder holds the payout it pays for (``hold_if_taken_back``).

Off-session charges are settled from Stripe's answer at once (``billing.charge``,
``settlement_money.charge``); their events repair a run that died, or lost Stripe's answer, between
the call and its commit. A week paid on Stripe's page after a failed charge is learnt from
these events alone. One rule for both (``take_payment``): a payment of something not yet
paid records it and queues the payout; a payment of something already paid by another
PaymentIntent is refunded, so nothing is charged twice, whatever order the events come in.
Stripe is called by jobs after the commit, never here under a lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..jobs import enqueue_after_commit
from ..payments.gateway import PaymentFacts, StripeGateway
from ..payments.webhooks import object_id, on_contract_of, on_dispute, on_payment_intent
from . import billing, settlement_money
from .models import DisputeSettlement, SettlementStatus, Timesheet, TimesheetStatus

PAID = (TimesheetStatus.CHARGED, TimesheetStatus.PAID)
SETTLEMENT_PAID = (SettlementStatus.CHARGED, SettlementStatus.SETTLED)
DECLINED = "The card was declined."


@dataclass(frozen=True)
class Payable:
    """One kind of thing our off-session charges pay for, as ``take_payment`` sees it."""

    model: type[Timesheet] | type[DisputeSettlement]
    metadata_key: str
    is_paid: Callable[[Any], bool]
    # Record the payment (a compare-and-set); True when this call moved it to paid.
    charged: Callable[[Session, Any, str, str | None, int], bool]
    pay_out_job: str
    refund_duplicate_job: str
    # Hold the payout of something disputed or refunded before we learnt it was paid (that
    # event found nothing by this payment); None where there is no payout hold.
    hold_if_taken_back: Callable[[Session, Any, PaymentFacts], Any] | None = None

    def find(self, session: Session, obj: dict) -> Any | None:
        try:
            return session.get(self.model, int(obj["metadata"][self.metadata_key]))
        except (KeyError, TypeError, ValueError):
            return None


WEEKS = Payable(
    Timesheet,
    "timesheet_id",
    lambda sheet: sheet.status in PAID,
    billing.charged,
    "timesheets.pay_out",
    "timesheets.refund_duplicate",
    billing.hold_if_taken_back,
)
SETTLEMENTS = Payable(
    DisputeSettlement,
    "timesheet_dispute_id",
    lambda settlement: settlement.status in SETTLEMENT_PAID,
    settlement_money.charged_late,
    "timesheets.pay_out_settlement",
    "timesheets.refund_duplicate_settlement",
    settlement_money.hold_if_taken_back,
)


def take_payment(
    session: Session, payable: Payable, event_type: str, obj: dict, facts: PaymentFacts | None
) -> None:
    paid = _payment_of(event_type, obj, facts)
    if paid is None:
        return
    intent_id, charge_id, amount = paid
    thing = payable.find(session, obj)
    if thing is None or thing.payment_intent_id == intent_id:
        return  # not ours, or recorded already (the answer at once, or this event before)
    if payable.is_paid(thing):
        enqueue_after_commit(session, payable.refund_duplicate_job, thing.id, intent_id)
    elif payable.charged(session, thing, intent_id, charge_id, amount):
        if facts is not None and not facts.intact and payable.hold_if_taken_back is not None:
            payable.hold_if_taken_back(session, thing, facts)
            return
        enqueue_after_commit(session, payable.pay_out_job, thing.id)


def payment_event(
    session: Session, gateway: StripeGateway, event_type: str, obj: dict, facts: PaymentFacts | None
) -> None:
    if event_type == "charge.refunded":
        _refunded(session, obj, facts)
        return
    take_payment(session, WEEKS, event_type, obj, facts)


def settlement_event(
    session: Session, gateway: StripeGateway, event_type: str, obj: dict, facts: PaymentFacts | None
) -> None:
    if event_type == "payment_intent.payment_failed":
        _settlement_declined(session, obj, facts)
        return
    if event_type == "charge.refunded":
        settlement = SETTLEMENTS.find(session, obj)
        if settlement is not None and facts is not None:  # a duplicate's refund: not its own
            settlement_money.hold_if_taken_back(session, settlement, facts)
        return
    take_payment(session, SETTLEMENTS, event_type, obj, facts)


def _settlement_declined(session: Session, obj: dict, facts: PaymentFacts | None) -> None:
    """A settlement's charge declined, heard only from Stripe (its answer was lost). Only
    the attempt still being charged may fail: a late event of an earlier attempt, or of a
    payment that went through since, changes nothing."""
    settlement = SETTLEMENTS.find(session, obj)
    try:
        attempt = int(obj["metadata"]["charge_attempt"])
    except (KeyError, TypeError, ValueError):
        return  # charged before attempts were named: the operator's retry settles it
    if settlement is None or (facts is not None and facts.succeeded):
        return
    error = obj.get("last_payment_error") or {}
    settlement_money.declined(session, settlement.id, attempt, error.get("message") or DECLINED)


def disputed(session: Session, payment_intent_id: str, facts: PaymentFacts | None) -> bool:
    """A card holder disputed a week's payment, or the payment of an operator's settlement
    of its disputed time: its payout is held, as a fixed contract's is; both sides see why
    on the week's page. An event about an older payment (one we refunded as a duplicate), or
    one we have not recorded yet (its payment's event holds it then), changes nothing."""
    for payable in (WEEKS, SETTLEMENTS):
        model = payable.model
        found = session.scalar(select(model).where(model.payment_intent_id == payment_intent_id))
        if found is None:
            continue
        if facts is not None and facts.disputed and payable.hold_if_taken_back is not None:
            payable.hold_if_taken_back(session, found, facts)
        return True
    return False


def _refunded(session: Session, obj: dict, facts: PaymentFacts | None) -> None:
    sheet = WEEKS.find(session, obj)
    if sheet is None or facts is None or sheet.payment_intent_id != facts.payment_intent_id:
        return  # a duplicate we refunded ourselves, or a week not ours
    billing.hold_if_taken_back(session, sheet, facts)


def contract_of(session: Session, obj: dict, payment_intent_id: str | None) -> int | None:
    """The hourly contract a week's or a settlement's payment event is about."""
    for payable in (WEEKS, SETTLEMENTS):
        thing = payable.find(session, obj)
        if isinstance(thing, Timesheet):
            return thing.contract_id
        if isinstance(thing, DisputeSettlement):
            return thing.timesheet.contract_id
    if not payment_intent_id:
        return None
    by_week = select(Timesheet.contract_id).where(Timesheet.payment_intent_id == payment_intent_id)
    by_settlement = (
        select(Timesheet.contract_id)
        .join(DisputeSettlement, DisputeSettlement.timesheet_id == Timesheet.id)
        .where(DisputeSettlement.payment_intent_id == payment_intent_id)
    )
    return session.scalar(by_week) or session.scalar(by_settlement)


def _payment_of(
    event_type: str, obj: dict, facts: PaymentFacts | None
) -> tuple[str, str | None, int] | None:
    """(PaymentIntent, charge, amount received) of a succeeded payment, else None."""
    if event_type == "payment_intent.succeeded" and obj.get("status") == "succeeded":
        received = int(obj.get("amount_received") or obj["amount"])
        return obj["id"], object_id(obj.get("latest_charge")), received
    if event_type == "checkout.session.completed" and obj.get("payment_status") == "paid":
        intent_id = object_id(obj.get("payment_intent"))
        if not intent_id:
            return None
        if facts is not None and not facts.intact:
            return None  # refunded or disputed meanwhile: it pays for nothing
        charge_id = facts.charge_id if facts is not None else None
        return intent_id, charge_id, int(obj.get("amount_total") or 0)
    return None


on_payment_intent(WEEKS.metadata_key, payment_event)
on_payment_intent(SETTLEMENTS.metadata_key, settlement_event)
on_dispute(disputed)
on_contract_of(contract_of)
