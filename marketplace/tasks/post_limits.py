"""How many tasks an owner may post: each post emails up to ten assistants, so a spammer
with one account must not be able to mail hundreds of people an hour.

Counted from the tasks table (every post is a row, closed or not) by
``marketplace.allowances``, so it holds across every worker and host.
"""

from __future__ import annotations

import math
from datetime import timedelta

from limits import RateLimitItem, parse_many
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import allowances, db
from ..accounts.models import User
from ..errors import RateLimited
from .models import Task


def parse_limits(text: str) -> list[RateLimitItem]:
    return parse_many(text)


def check_allowance(
    session: Session, owner: User, limits: list[RateLimitItem], *, new: Task | None = None
) -> None:
    """Raise RateLimited when one more task would pass any of the limits. ``new``: that one
    task, already flushed, which is not counted: the owner's row is locked from here to the
    commit, so the fewer statements after this, the sooner the owner's next post may count."""
    allowances.lock_owner(session, owner)
    posted = select(Task.created_at).where(Task.owner_id == owner.id)
    if new is not None:
        posted = posted.where(Task.id != new.id)
    for limit in limits:
        free = allowances.next_free_at(
            session, posted, limit.amount, timedelta(seconds=limit.get_expiry())
        )
        if free is not None:
            raise RateLimited(_message(limit, free - db.utcnow()))


def _message(limit: RateLimitItem, wait: timedelta) -> str:
    period = _period(limit)
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    later = f"in {minutes} minutes" if minutes < 120 else f"in {math.ceil(minutes / 60)} hours"
    return (
        f"You have posted {limit.amount} tasks in the last {period}, the most we allow. "
        f"You can post this one {later}; what you typed is kept below."
    )


def _period(limit: RateLimitItem) -> str:
    name = limit.GRANULARITY.name
    return name if limit.multiples == 1 else f"{limit.multiples} {name}s"
