"""The periodic reveal of reviews whose window closed before the other party wrote theirs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..jobs import job
from .services import reveal_due


@job("reviews.reveal_due")
def reveal_due_reviews(session: Session) -> int:
    """Idempotent: each review is acted on once, by compare-and-set on ``revealed_at``."""
    return reveal_due(session)
