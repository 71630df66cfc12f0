"""Fixed work's periodic job: reminders before automatic release, the release and its payout."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from ..jobs import job
from .runner import release_due


@job("contracts.release_due")
def release_due_job(session: Session) -> dict:
    return asdict(release_due(session))


@job("contracts.refund_milestone")
def refund_milestone_job(session: Session, milestone_id: int, payment_intent_id: str) -> None:
    """Give back a payment made for a milestone, after the event that found it committed."""
    from ..payments import milestone_funding
    from ..payments.gateway import get_gateway

    milestone_funding.refund(session, get_gateway(), milestone_id, payment_intent_id)
