"""Stripe's webhooks about a week's payment (metadata ``timesheet_id``).

Off-session charges are settled from Stripe's answer at once (``billing.charge``); their
events only repair a run that died between Stripe's answer and its commit. A week paid on
Stripe's page after a failed charge is learnt from these events alone. A payment for a week
already paid by another PaymentIntent is refunded: nothing is charged twice, whatever order
the events come in. Stripe is called by jobs after the commit, never here under a lock.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..jobs import enqueue_after_commit
from ..payments.gateway import PaymentFacts, StripeGateway
from ..payments.webhooks import object_id, on_dispute, on_payment_intent
from . import billing
from .models import Timesheet, TimesheetStatus

PAID = (TimesheetStatus.CHARGED, TimesheetStatus.PAID)


def payment_event(
    session: Session, gateway: StripeGateway, event_type: str, obj: dict, facts: PaymentFacts | None
) -> None:
    if event_type == "charge.refunded":
        _refunded(session, obj, facts)
        return
    paid = _payment_of(event_type, obj, facts)
    if paid is None:
        return
    intent_id, charge_id, amount = paid
    sheet = _sheet(session, obj)
    if sheet is None or sheet.payment_intent_id == intent_id:
        return
    if sheet.status in PAID:
        enqueue_after_commit(session, "timesheets.refund_duplicate", sheet.id, intent_id)
    elif billing.charged(session, sheet, intent_id, charge_id, amount):
        if facts is not None and not facts.intact:
            # Disputed (or refunded) before we learnt the week was paid: that event found
            # no week by this payment, so the hold is placed here, and nothing is paid out.
            billing.hold_if_taken_back(session, sheet, facts)
            return
        enqueue_after_commit(session, "timesheets.pay_out", sheet.id)


def disputed(session: Session, payment_intent_id: str, facts: PaymentFacts | None) -> bool:
    """A card holder disputed a week's payment: its payout is held, as a fixed contract's
    is; both sides see why on the week's page. An event about an older payment of the week
    (one we refunded as a duplicate) finds no week and changes nothing."""
    sheet = session.scalar(
        select(Timesheet).where(Timesheet.payment_intent_id == payment_intent_id)
    )
    if sheet is None:
        return False
    if facts is not None and facts.disputed:
        billing.hold_if_taken_back(session, sheet, facts)
    return True


def _refunded(session: Session, obj: dict, facts: PaymentFacts | None) -> None:
    sheet = _sheet(session, obj)
    if sheet is None or facts is None or sheet.payment_intent_id != facts.payment_intent_id:
        return  # a duplicate we refunded ourselves, or a week not ours
    billing.hold_if_taken_back(session, sheet, facts)


def _sheet(session: Session, obj: dict) -> Timesheet | None:
    try:
        return session.get(Timesheet, int(obj["metadata"]["timesheet_id"]))
    except (KeyError, TypeError, ValueError):
        return None


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


on_payment_intent("timesheet_id", payment_event)
on_dispute(disputed)
