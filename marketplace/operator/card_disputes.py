"""An operator marks a card dispute handled: won or lost in Stripe, or dismissed, with a
note saying what was done. The dispute's money is Stripe's to decide and was settled with the
parties already (a resolution, a word with them); this closes it in the console's queue.
Services flush; callers commit."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound
from ..payments.models import CardDispute, CardDisputeOutcome
from .services import audit, clean_reason


def parse_outcome(raw: str | None) -> CardDisputeOutcome:
    try:
        return CardDisputeOutcome(raw or "")
    except ValueError:
        raise Invalid("Choose how the dispute ended: won, lost, or dismissed.", "outcome") from None


def mark_handled(
    session: Session,
    operator: User,
    dispute_id: int,
    outcome: CardDisputeOutcome,
    note: str,
    reason: str,
) -> CardDispute:
    """Close the dispute once, by a compare-and-set on ``handled_at``, with its audit row: a
    second submit (a double click, another operator) is a Conflict and writes nothing."""
    dispute = session.get(CardDispute, dispute_id)
    if dispute is None:
        raise NotFound("No such card dispute.")
    note = clean_reason(note, "note")
    reason = clean_reason(reason)
    if dispute.handled_at is not None:
        raise Conflict(_handled_already(dispute))
    closed = rows_changed(
        session,
        update(CardDispute)
        .where(CardDispute.id == dispute.id, CardDispute.handled_at.is_(None))
        .values(handled_at=utcnow(), outcome=outcome, note=note)
        .execution_options(synchronize_session=False),
    )
    session.refresh(dispute)
    if closed != 1:
        raise Conflict(_handled_already(dispute))
    audit(
        session,
        operator,
        f"card_dispute.{outcome.value}",
        "contract",
        dispute.contract_id,
        reason,
        card_dispute_id=dispute.id,
        stripe_dispute_id=dispute.stripe_dispute_id,
        amount_cents=dispute.amount_cents,
        currency=dispute.currency,
        note=note,
    )
    return dispute


def _handled_already(dispute: CardDispute) -> str:
    how = dispute.outcome.label.lower() if dispute.outcome else "handled"
    return f"This card dispute was marked handled already ({how})."
