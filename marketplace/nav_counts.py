"""The counts the nav shows on every logged-in page (unread messages, the bell), each kept a
few seconds per person in a Microcache: this worker's writes to the tables it names empty it
at once; a write through another worker shows within MICROCACHE_SECONDS. The logged-in nav
itself is kept per person, role and counts, without its log-out form's CSRF token."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Blueprint, Flask, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import Session

from .accounts.models import User
from .db import get_session
from .microcache import Microcache, render_without_tokens, with_token

# Its links follow the person's role and operator flag, both in the key with the counts.
_member_navs = Microcache("member nav", tables={"users"})


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


def member_nav(unread: int, bell: int) -> Markup:
    """base.html's nav for the logged-in person, with this browser's CSRF token."""
    user = current_user._get_current_object()
    key = (user.id, user.role, user.is_operator, unread, bell, request.script_root)
    kept = _member_navs.get_or_make(
        key, lambda: render_without_tokens("_member_nav.html", unread=unread, bell=bell)
    )
    return with_token(kept)


def init_app(app: Flask) -> None:
    app.add_template_global(member_nav, "member_nav")
