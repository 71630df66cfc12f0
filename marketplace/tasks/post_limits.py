"""How many tasks an owner may post: each post emails up to ten assistants, so a spammer
with one account must not be able to mail hundreds of people an hour.

Counted from the tasks table (every post is a row, closed or not), so it holds across every
worker and host; the owner's row is locked first so two posts racing cannot both take the
last place.
"""

from __future__ import annotations

import math
from datetime import timedelta

from limits import RateLimitItem, parse_many
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import db
from ..accounts.models import User
from ..errors import RateLimited
from .models import Task


def parse_limits(text: str) -> list[RateLimitItem]:
    return parse_many(text)


def check_allowance(session: Session, owner: User, limits: list[RateLimitItem]) -> None:
    """Raise RateLimited when one more task would pass any of the limits."""
    session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    now = db.utcnow()
    for limit in limits:
        window = timedelta(seconds=limit.get_expiry())
        times = session.scalars(
            select(Task.created_at)
            .where(Task.owner_id == owner.id, Task.created_at > now - window)
            .order_by(Task.created_at)
            .limit(limit.amount)
        ).all()
        if len(times) >= limit.amount:
            wait = times[0] + window - now
            raise RateLimited(_message(limit, wait))


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

