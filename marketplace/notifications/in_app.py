"""The bell and the notifications page: the outbox rows a person was sent, in the app.

The same rows and the same words as the emails (``emails.CONTEXTS``' summary and link), so
the app and the mailbox never tell different stories. A row whose email would no longer be
sent (its object gone, messages read meanwhile) is not shown either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import utcnow
from .emails import CONTEXTS
from .models import IN_APP_KINDS, Notification

PAGE_SIZE = 30


@dataclass(frozen=True)
class Item:
    id: int
    summary: str
    url: str | None
    created_at: datetime
    unread: bool


def _mine(user: User):
    return (Notification.user_id == user.id, Notification.kind.in_(IN_APP_KINDS))


def unread_count(session: Session, user: User) -> int:
    query = select(func.count(Notification.id)).where(*_mine(user), Notification.read_at.is_(None))
    return session.scalar(query) or 0


def recent(session: Session, user: User, limit: int = PAGE_SIZE) -> list[Item]:
    rows = session.scalars(
        select(Notification)
        .where(*_mine(user))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    items = []
    for n in rows:
        context = CONTEXTS[n.kind](session, n)
        if context is None:
            continue
        items.append(
            Item(n.id, context["summary"], context.get("url"), n.created_at, n.read_at is None)
        )
    return items


def mark_read(session: Session, user: User) -> None:
    """Everything up to now: one statement, so it is safe on a GET (no transaction there)."""
    session.execute(
        update(Notification)
        .where(*_mine(user), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
