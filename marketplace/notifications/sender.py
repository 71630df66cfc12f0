"""Delivering due outbox rows: claim a batch, send each, record the outcome.

Rows are claimed with a short lease (``locked_until``) in their own transaction, so no lock
is held during the SMTP conversation and two senders never take the same row (PostgreSQL
skips rows another sender is claiming; SQLite serialises the claiming writes). A failure
leaves the row pending with a later ``next_attempt_at`` (exponential backoff); nothing is
dropped. The SMTP server accepting a message and our commit marking it sent are two steps:
a crash in between resends it once, with the same Message-ID.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from .emails import build_message
from .models import ACCOUNT_KINDS, Channel, Frequency, LocalEmail, Notification, Status
from .services import preferences_of

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class SMTPBackend:
    def __init__(self, config: dict):
        self.config = config
        self.conn: smtplib.SMTP | None = None

    def open(self) -> None:
        c = self.config
        self.conn = smtplib.SMTP(c["SMTP_HOST"], c["SMTP_PORT"], timeout=c["SMTP_TIMEOUT"])
        if c["SMTP_STARTTLS"]:
            self.conn.starttls(context=ssl.create_default_context())
        if c["SMTP_USERNAME"]:
            self.conn.login(c["SMTP_USERNAME"], c["SMTP_PASSWORD"] or "")

    def send(self, session: Session, n: Notification, msg: EmailMessage) -> None:
        self.conn.send_message(msg)

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.quit()
        except (smtplib.SMTPException, OSError):
            self.conn.close()


class LocalBackend:
    """No SMTP configured: keep the rendered email in the database for /dev/outbox."""

    def open(self) -> None:
        pass

    def send(self, session: Session, n: Notification, msg: EmailMessage) -> None:
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        headers = {k: str(v) for k, v in msg.items()}
        # Same transaction as marking the row sent: exactly once, by construction.
        session.add(
            LocalEmail(
                notification_id=n.id,
                recipient=msg["To"],
                subject=msg["Subject"],
                headers=headers,
                text_body=text,
                html_body=html,
            )
        )

    def close(self) -> None:
        pass


def make_backend(config: dict):
    return SMTPBackend(config) if config.get("SMTP_HOST") else LocalBackend()


def backoff(attempts: int, base_seconds: int) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(session: Session, now: datetime, limit: int) -> list[int]:
    due = (
        Notification.status == Status.PENDING,
        Notification.channel == Channel.INSTANT,
        Notification.next_attempt_at <= now,
        or_(Notification.locked_until.is_(None), Notification.locked_until < now),
    )
    query = select(Notification.id).where(*due).order_by(Notification.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    # Re-checked in the UPDATE itself: only rows still unclaimed are ours.
    claimed = session.scalars(
        update(Notification)
        .where(Notification.id.in_(ids), *due)
        .values(locked_until=now + LEASE)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def _record_failure(n: Notification, error: str, now: datetime, config: dict) -> None:
    n.attempts += 1
    n.last_error = error[:2000]
    n.locked_until = None
    if n.attempts >= config["NOTIFICATION_MAX_ATTEMPTS"]:
        n.status = Status.FAILED
        current_app.logger.error(
            "Notification %s failed for good after %s attempts: %s", n.id, n.attempts, error
        )
    else:
        n.next_attempt_at = now + backoff(n.attempts, config["NOTIFICATION_RETRY_SECONDS"])


def _wanted(session: Session, n: Notification) -> bool:
    if n.kind in ACCOUNT_KINDS:
        return True
    return preferences_of(session, n.user_id).frequency != Frequency.OFF


def send_due(session: Session, *, now: datetime | None = None, limit: int = 200) -> SendReport:
    """Send every due instant notification (one batch); commits as it goes."""
    config = current_app.config
    now = now or utcnow()
    report = SendReport()
    ids = claim(session, now, limit)
    session.commit()
    if not ids:
        return report
    backend = make_backend(config)
    try:
        backend.open()
    except (smtplib.SMTPException, OSError) as exc:
        current_app.logger.warning("SMTP unavailable, %s notifications wait: %s", len(ids), exc)
        for n in session.scalars(select(Notification).where(Notification.id.in_(ids))):
            _record_failure(n, f"connect: {exc!r}", now, config)
        report.failed += len(ids)
        report.errors.append(repr(exc))
        session.commit()
        return report
    try:
        for notification_id in ids:
            _send_one(session, backend, notification_id, now, config, report)
            session.commit()
    finally:
        backend.close()
    return report


def _send_one(session, backend, notification_id: int, now, config, report: SendReport) -> None:
    n = session.get(Notification, notification_id)
    try:
        msg = build_message(session, n) if _wanted(session, n) else None
        if msg is None:
            n.status, n.locked_until = Status.SKIPPED, None
            report.skipped += 1
            return
        backend.send(session, n, msg)
    except Exception as exc:  # a refused recipient, a dropped connection, a template bug
        current_app.logger.exception("Sending notification %s failed", notification_id)
        session.rollback()
        n = session.get(Notification, notification_id)
        _record_failure(n, repr(exc), now, config)
        report.failed += 1
        report.errors.append(repr(exc))
        return
    n.status, n.sent_at, n.locked_until = Status.SENT, utcnow(), None
    report.sent += 1


def retry_failed(session: Session) -> int:
    """Give notifications that exhausted their attempts a fresh start (an operator's choice)."""
    result = session.execute(
        update(Notification)
        .where(Notification.status == Status.FAILED)
        .values(status=Status.PENDING, attempts=0, next_attempt_at=utcnow(), locked_until=None)
    )
    return result.rowcount
