"""What an owner may still do in a period (post tasks, send invitations), counted from the
rows those actions leave behind: the count is the same for every worker and host, with or
without Redis.

The owner's row is locked first, so two requests racing for the last place count one after
the other and cannot both take it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .accounts.models import User
from .db import utcnow


def lock_owner(session: Session, owner: User) -> None:
    # FOR NO KEY UPDATE on PostgreSQL: it still queues the owner's counted actions behind each
    # other, but not behind the key-share lock an INSERT of a row that refers to the owner
    # takes. With FOR UPDATE, two posts that inserted their task before counting (as
    # publish_task does) each waited for the other's insert: a deadlock.
    session.execute(select(User.id).where(User.id == owner.id).with_for_update(key_share=True))


def next_free_at(
    session: Session, stamps: Select, amount: int, window: timedelta
) -> datetime | None:
    """When one more action fits, if `amount` of the actions in `stamps` (a select of one
    timestamp column, already narrowed to the owner) fall within the last `window`; None
    when one more fits now."""
    stamp = stamps.selected_columns[0]
    times = session.scalars(
        stamps.where(stamp > utcnow() - window).order_by(stamp).limit(amount)
    ).all()
    return times[0] + window if len(times) >= amount else None
