"""The counts the nav shows on every logged-in page (unread messages, the bell), each kept a
few seconds per person in a Microcache: this worker's writes to the tables it names empty it
at once; a write through another worker shows within MICROCACHE_SECONDS."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Blueprint
from flask_login import current_user
from sqlalchemy.orm import Session

from .accounts.models import User
from .db import get_session
from .microcache import Microcache


def register(
    bp: Blueprint, name: str, count: Callable[[Session, User], int], *, tables: Iterable[str]
) -> None:
    """Give templates ``name()``: the logged-in person's count, 0 for visitors. A function,
    not a value: pages that do not show it spend no query on it."""
    cache = Microcache(name, tables=tables)

    def counted() -> int:
        if not current_user.is_authenticated:
            return 0
        user = current_user._get_current_object()
        return cache.get_or_make(user.id, lambda: count(get_session(), user))

    bp.app_context_processor(lambda: {name: counted})
