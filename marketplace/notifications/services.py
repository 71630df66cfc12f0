"""Writing notifications into the outbox, and people's email preferences.

``notify`` is called inside the transaction of the event it reports (a proposal, an
invitation, a stored match): the row commits with the event or not at all, and the unique
(user, kind, object) key turns a repeated trigger into a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import utcnow
from ..errors import DomainError, Invalid
from ..jobs import enqueue_after_commit
from ..jobs.upserts import insert_ignoring_duplicates
from .models import (
    ACCOUNT_KINDS,
    Channel,
    Frequency,
    Kind,
    Notification,
    NotificationPreference,
    Status,
)

DEFAULT_MIN_MATCH_SCORE = 0.4
_UNSUBSCRIBE_SALT = "delegate.unsubscribe.v1"


@dataclass(frozen=True)
class Preferences:
    frequency: Frequency
    min_match_score: float
    unsubscribed_at: datetime | None = None


DEFAULTS = Preferences(Frequency.INSTANT, DEFAULT_MIN_MATCH_SCORE)


def preferences_of(session: Session, user_id: int) -> Preferences:
    row = session.get(NotificationPreference, user_id)
    if row is None:
        return DEFAULTS
    return Preferences(row.frequency, row.min_match_score, row.unsubscribed_at)


def preferences_for(session: Session, user_ids: list[int]) -> dict[int, Preferences]:
    """Everyone's preferences in one query (a task's top matches notify several assistants)."""
    from sqlalchemy import select

    rows = session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids))
    )
    found = {
        r.user_id: Preferences(r.frequency, r.min_match_score, r.unsubscribed_at) for r in rows
    }
    return {uid: found.get(uid, DEFAULTS) for uid in user_ids}


def save_preferences(
    session: Session, user: User, frequency: Frequency, min_match_score: float
) -> NotificationPreference:
    if not 0.0 <= min_match_score <= 1.0:
        raise Invalid("The minimum match must be between 0 and 100%.", "min_match_score")
    row = session.get(NotificationPreference, user.id)
    if row is None:
        row = NotificationPreference(user_id=user.id)
        session.add(row)
    row.frequency = frequency
    row.min_match_score = min_match_score
    # Choosing to receive mail again is how someone who unsubscribed opts back in.
    row.unsubscribed_at = row.unsubscribed_at if frequency == Frequency.OFF else None
    session.flush()
    return row


def notify(
    session: Session,
    user_id: int,
    kind: Kind,
    object_key: str,
    payload: dict | None = None,
    *,
    prefs: Preferences | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Put one notification in the outbox; False when it exists already or the user opted out.

    The channel is fixed now (instant or daily digest) from the recipient's preferences;
    whether it is still wanted is checked again when it is due, so unsubscribing stops mail
    that is already queued. ``not_before`` holds an instant email back until then (the
    periodic sender sends it); messages use it to batch what arrives meanwhile.
    """
    if kind in ACCOUNT_KINDS:
        channel = Channel.INSTANT
    else:
        prefs = prefs or preferences_of(session, user_id)
        if prefs.frequency == Frequency.OFF:
            return False
        channel = Channel.DIGEST if prefs.frequency == Frequency.DAILY else Channel.INSTANT
    now = utcnow()
    due = max(now, not_before) if not_before is not None else now
    inserted = insert_ignoring_duplicates(
        session,
        Notification,
        {
            "user_id": user_id,
            "kind": kind.value,
            "object_key": object_key,
            "channel": channel.value,
            "status": Status.PENDING.value,
            "payload": payload or {},
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": now,
        },
    )
    if inserted and channel == Channel.INSTANT and due <= now:
        enqueue_after_commit(session, "notifications.send")
    return inserted


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(secret_key: str, user_id: int) -> str:
    return _serializer(secret_key).dumps({"u": user_id})


def user_id_from_token(secret_key: str, token: str) -> int:
    """The user the token was signed for; Invalid when it was altered or is not ours."""
    try:
        data = _serializer(secret_key).loads(token)
    except BadSignature as exc:
        raise DomainError(
            "This unsubscribe link is not valid. Copy the whole link from the email."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise DomainError("This unsubscribe link is not valid.")
    return data["u"]


def unsubscribe(session: Session, user_id: int) -> NotificationPreference | None:
    """Turn all email off for the user (idempotent); None when the account no longer exists."""
    if session.get(User, user_id) is None:
        return None
    row = session.get(NotificationPreference, user_id)
    if row is None:
        row = NotificationPreference(user_id=user_id, min_match_score=DEFAULT_MIN_MATCH_SCORE)
        session.add(row)
    row.frequency = Frequency.OFF
    row.unsubscribed_at = row.unsubscribed_at or utcnow()
    session.flush()
    return row
