"""Outbox jobs: deliver due notifications, write daily digests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..jobs import job
from .digest import send_daily_digests
from .sender import send_due


@job("notifications.send")
def send_notifications(session: Session) -> dict:
    # Commits per message (inside send_due): one bad address must not hold back the rest.
    report = send_due(session)
    return {"sent": report.sent, "skipped": report.skipped, "failed": report.failed}


@job("notifications.digest")
def write_digests(session: Session) -> int:
    return send_daily_digests(session)
