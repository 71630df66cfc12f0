"""The daily digest: a person's digest-channel notifications bundled into one email.

Run often (the worker queues it every few minutes): for each person with waiting items whose
local morning (DIGEST_HOUR) has come, one digest row keyed by their local date is written and
the items are marked digested in the same transaction. The date key makes a second run the
same day a no-op; items arriving after today's digest wait for tomorrow's.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..config import settings
from ..db import utcnow
from ..jobs import enqueue_after_commit
from ..jobs.upserts import insert_ignoring_duplicates
from .models import Channel, Kind, Notification, Status
from .payloads import DigestNote

_WAITING = (Notification.status == Status.PENDING, Notification.channel == Channel.DIGEST)


def _local_now(user: User, now: datetime) -> datetime:
    try:
        return now.astimezone(ZoneInfo(user.timezone or "UTC"))
    except (KeyError, ValueError):
        return now


def send_daily_digests(session: Session) -> int:
    """Write today's digest for everyone due; returns how many digests were written."""
    now = utcnow()
    hour = settings().digest_hour
    user_ids = list(session.scalars(select(Notification.user_id).where(*_WAITING).distinct()))
    written = 0
    for user in session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id)):
        local = _local_now(user, now)
        if local.hour < hour:
            continue
        items = list(
            session.scalars(
                select(Notification.id)
                .where(Notification.user_id == user.id, *_WAITING)
                .order_by(Notification.id)
            )
        )
        inserted = insert_ignoring_duplicates(
            session,
            Notification,
            {
                "user_id": user.id,
                "kind": Kind.DAILY_DIGEST.value,
                "object_key": f"digest:{local.date().isoformat()}",
                "channel": Channel.INSTANT.value,
                "status": Status.PENDING.value,
                "payload": DigestNote(items=items),
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        if not inserted:
            continue
        session.execute(
            update(Notification)
            .where(Notification.id.in_(items), *_WAITING)
            .values(status=Status.DIGESTED)
            .execution_options(synchronize_session=False)
        )
        written += 1
    if written:
        enqueue_after_commit(session, "notifications.send")
    session.flush()
    return written
