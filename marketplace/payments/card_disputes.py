"""Card holders' disputes of a contract's payment, as ``charge.dispute.created`` told them:
what was disputed (Stripe's amount, in cents), and whether an operator has handled it.

A dispute of money still held pauses its payout (``services.hold_for_dispute``); one opened
after the payout has nothing to hold, so it waits in the operator console until an operator,
having answered it in Stripe and settled with the parties, marks it handled
(``operator.card_disputes``). Services flush; callers commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contracts.models import MONEY_HELD, Contract
from ..db import add_once, utcnow
from .models import CardDispute


def record_opened(
    session: Session, contract: Contract, dispute: dict, payment_intent_id: str | None = None
) -> CardDispute | None:
    """The dispute object of a ``charge.dispute.created`` event on the contract's payment, or
    on ``payment_intent_id``, another payment of the contract (a milestone's, a week's),
    recorded once by Stripe's dispute id (a replay, under any event id, adds nothing)."""
    dispute_id = dispute.get("id")
    if not dispute_id:
        return None
    try:
        amount = int(dispute["amount"])
    except (KeyError, TypeError, ValueError):
        amount = None
    row = CardDispute(
        stripe_dispute_id=dispute_id,
        contract_id=contract.id,
        payment_intent_id=payment_intent_id or contract.payment_intent_id,
        amount_cents=amount,
        currency=str(dispute.get("currency") or contract.currency)[:3].upper(),
        reason=(str(dispute["reason"])[:64] if dispute.get("reason") else None),
        opened_at=utcnow(),
    )
    known = select(CardDispute.id).where(CardDispute.stripe_dispute_id == dispute_id)
    if session.scalar(known) is not None or not add_once(session, row):
        return None
    return row


def open_after_payout(session: Session, limit: int = 50) -> list[CardDispute]:
    """Disputes not handled yet of contracts whose money is held no longer: nothing was held,
    so they are the operator's to answer in Stripe and settle with both. Newest first."""
    return list(
        session.scalars(
            select(CardDispute)
            .join(Contract, Contract.id == CardDispute.contract_id)
            .where(CardDispute.handled_at.is_(None), Contract.status.not_in(MONEY_HELD))
            .order_by(CardDispute.opened_at.desc(), CardDispute.id.desc())
            .limit(limit)
        )
    )


def of_contract(session: Session, contract_id: int) -> list[CardDispute]:
    return list(
        session.scalars(
            select(CardDispute)
            .where(CardDispute.contract_id == contract_id)
            .order_by(CardDispute.opened_at, CardDispute.id)
        )
    )
