"""Fixed work's periodic job: reminders before automatic release, the release and its payout."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from ..jobs import job
from .runner import release_due


@job("contracts.release_due")
def release_due_job(session: Session) -> dict:
    return asdict(release_due(session))
