"""Delivering due outbox rows: claim a small batch, send each, record the outcome.

Rows are claimed in small batches with a lease (``locked_until``) and a claim token of the
sender's own, in their own transaction, so no lock is held during the SMTP conversation and
two senders never take the same row (PostgreSQL skips rows another sender is claiming; SQLite
serialises the claiming writes). A lease can still run out while its batch is being sent (a
slow SMTP server); so just before each message, a compare-and-set on the claim token renews
that row's lease and proves it is still ours: a row another sender has claimed since is
left to that sender. A failure leaves the row pending with a later ``next_attempt_at``
(exponential backoff); nothing is dropped. The SMTP server accepting a message and our
commit marking it sent are two steps: a crash in between, or a single message taking longer
than a whole lease, resends it once, with the same Message-ID.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..config import Settings, settings
from ..db import rows_changed, utcnow
from .emails import build_message
from .models import ACCOUNT_KINDS, Channel, Frequency, LocalEmail, Notification, Status
from .services import preferences_of

MAX_BACKOFF = timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    lost: int = 0  # claimed, but another sender took it over after our lease ran out
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.failed + self.lost


class SMTPBackend:
    def __init__(self, config: Settings):
        self.config = config
        self.conn: smtplib.SMTP | None = None

    def open(self) -> None:
        c = self.config
        self.conn = smtplib.SMTP(c.smtp_host or "", c.smtp_port, timeout=c.smtp_timeout)
        if c.smtp_starttls:
            self.conn.starttls(context=ssl.create_default_context())
        if c.smtp_username:
            self.conn.login(c.smtp_username, c.smtp_password or "")

    def send(self, session: Session, n: Notification, msg: EmailMessage) -> None:
        assert self.conn is not None, "open() before send()"
        self.conn.send_message(msg)

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.quit()
        except (smtplib.SMTPException, OSError):
            self.conn.close()


def _body(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body((subtype,))
    # emails.py builds every email with a plain and an HTML part.
    assert part is not None, f"the email has a {subtype} part"
    return part.get_content()


class LocalBackend:
    """No SMTP configured: keep the rendered email in the database for /dev/outbox."""

    def open(self) -> None:
        pass

    def send(self, session: Session, n: Notification, msg: EmailMessage) -> None:
        text = _body(msg, "plain")
        html = _body(msg, "html")
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


def make_backend(config: Settings):
    return SMTPBackend(config) if config.smtp_host else LocalBackend()


def backoff(attempts: int, base_seconds: int) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _due(now):
    return (
        Notification.status == Status.PENDING,
        Notification.channel == Channel.INSTANT,
        Notification.next_attempt_at <= now,
        or_(Notification.locked_until.is_(None), Notification.locked_until < now),
    )


def lease_of(config: Settings) -> timedelta:
    return timedelta(seconds=config.notification_lease_seconds)


def claim(session: Session, token: str, limit: int, lease: timedelta) -> list[int]:
    """Take up to `limit` due rows for the sender holding `token`; their ids, oldest first."""
    now = utcnow()
    query = select(Notification.id).where(*_due(now)).order_by(Notification.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    # Re-checked in the UPDATE itself: only rows still unclaimed are ours.
    claimed = session.scalars(
        update(Notification)
        .where(Notification.id.in_(ids), *_due(now))
        .values(locked_until=now + lease, claim_token=token)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def renew(session: Session, notification_id: int, token: str, lease: timedelta) -> bool:
    """Extend this row's lease if `token` still holds it; False when another sender took it
    over (our lease ran out) or it is no longer pending."""
    renewed = rows_changed(
        session,
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.claim_token == token,
            Notification.status == Status.PENDING,
        )
        .values(locked_until=utcnow() + lease)
        .execution_options(synchronize_session=False),
    )
    return renewed == 1


def _release(n: Notification) -> None:
    n.locked_until, n.claim_token = None, None


def _record_failure(n: Notification, error: str, config: Settings) -> None:
    n.attempts += 1
    n.last_error = error[:2000]
    _release(n)
    if n.attempts >= config.notification_max_attempts:
        n.status = Status.FAILED
        current_app.logger.error(
            "Notification %s failed for good after %s attempts: %s", n.id, n.attempts, error
        )
    else:
        n.next_attempt_at = utcnow() + backoff(n.attempts, config.notification_retry_seconds)


def _wanted(session: Session, n: Notification) -> bool:
    if n.kind in ACCOUNT_KINDS:
        return True
    return preferences_of(session, n.user_id).frequency != Frequency.OFF


def send_due(session: Session, *, limit: int | None = None) -> SendReport:
    """Send due instant notifications, batch after batch, until none is due (or `limit`
    rows were handled, or the SMTP server cannot be reached); commits as it goes."""
    config = settings()
    batch_size = config.notification_batch_size
    lease = lease_of(config)
    token = secrets.token_hex(16)  # this run's claims; another run never holds the same
    report = SendReport()
    backend = None
    try:
        while limit is None or report.handled < limit:
            size = batch_size if limit is None else min(batch_size, limit - report.handled)
            ids = claim(session, token, size, lease)
            session.commit()
            if not ids:
                break
            if backend is None:
                backend = make_backend(config)
                try:
                    backend.open()
                except (smtplib.SMTPException, OSError) as exc:
                    _connection_failed(session, ids, token, exc, config, report)
                    backend = None
                    break
            for notification_id in ids:
                _send_one(session, backend, notification_id, token, lease, config, report)
                session.commit()
    finally:
        if backend is not None:
            backend.close()
    return report


def _connection_failed(session, ids, token, exc, config, report: SendReport) -> None:
    current_app.logger.warning("SMTP unavailable, %s notifications wait: %s", len(ids), exc)
    mine = select(Notification).where(Notification.id.in_(ids), Notification.claim_token == token)
    for n in session.scalars(mine):
        _record_failure(n, f"connect: {exc!r}", config)
        report.failed += 1
    report.errors.append(repr(exc))
    session.commit()


def _send_one(session, backend, notification_id: int, token, lease, config, report) -> None:
    # The compare-and-set that keeps a slow batch from racing a second sender: committed
    # before the SMTP conversation, so the lease it sets is what others see.
    if not renew(session, notification_id, token, lease):
        session.commit()
        report.lost += 1
        return
    # Rendering only reads, and no transaction stays open during the SMTP conversation: a
    # sender must not hold SQLite's write lock (or a snapshot) while a slow server answers.
    try:
        n = session.get(Notification, notification_id, populate_existing=True)
        msg = build_message(session, n) if _wanted(session, n) else None
        session.commit()
        if msg is None:
            n.status = Status.SKIPPED
            _release(n)
            report.skipped += 1
            return
        backend.send(session, n, msg)
    except Exception as exc:  # a refused recipient, a dropped connection, a template bug
        current_app.logger.exception("Sending notification %s failed", notification_id)
        session.rollback()
        n = session.get(Notification, notification_id, populate_existing=True)
        _record_failure(n, repr(exc), config)
        report.failed += 1
        report.errors.append(repr(exc))
        return
    n.status, n.sent_at = Status.SENT, utcnow()
    _release(n)
    report.sent += 1


def retry_failed(session: Session) -> int:
    """Give notifications that exhausted their attempts a fresh start (an operator's choice)."""
    return rows_changed(
        session,
        update(Notification)
        .where(Notification.status == Status.FAILED)
        .values(
            status=Status.PENDING,
            attempts=0,
            next_attempt_at=utcnow(),
            locked_until=None,
            claim_token=None,
        ),
    )
