"""Flask-Login wired to server-side sessions (``accounts.sessions``).

Every ``login_user()`` — log-in, sign-up, and later a password reset — opens a row in
``login_sessions`` through the ``user_logged_in`` signal, so no code path can log somebody in
with a cookie that log-out could not revoke. The signal commits that row: call
``login_user()`` after the view's own commit, as every view does.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g, request, session
from flask_login import current_user, user_logged_in, user_logged_out

from ..config import settings
from ..db import get_session
from ..extensions import login_manager
from . import login_cache, login_limits, sessions
from .models import User

TOKEN_KEY = "login_session"


def current_token() -> str | None:
    """The token of this browser's log-in session (for "sign out my other sessions")."""
    return session.get(TOKEN_KEY)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    cache = login_cache.cache_of(current_app)
    live = sessions.find_live(get_session(), session.get(TOKEN_KEY), cache)
    if live is None or str(live.user.id) != user_id or not live.user.is_active:
        # Revoked, expired, a suspended account, or a cookie from before server-side
        # sessions: drop it.
        for key in ("_user_id", "_fresh", "_id", TOKEN_KEY):
            session.pop(key, None)
        return None
    g.login_session = live.login_session
    return live.user


def _lifetime(app: Flask) -> timedelta:
    return timedelta(days=settings(app).login_session_days)


def _on_login(app: Flask, user: User, **_extra) -> None:
    db_session = get_session()
    if db_session.new or db_session.dirty or db_session.deleted:
        raise RuntimeError("commit the view's changes before login_user(): the login commits")
    # A new token on every log-in: whatever this browser held before is revoked, and the
    # CSRF token starts afresh with the new identity.
    sessions.revoke(db_session, session.pop(TOKEN_KEY, None))
    session.pop("csrf_token", None)
    session[TOKEN_KEY] = sessions.start(db_session, user, _lifetime(app))
    db_session.commit()


def _on_logout(app: Flask, user, **_extra) -> None:
    db_session = get_session()
    sessions.revoke(db_session, session.get(TOKEN_KEY))
    db_session.commit()
    session.clear()


def _load_and_touch() -> None:
    """Load the user before the view runs, while the request's transaction holds nothing
    else, so recording last_seen_at can commit on its own."""
    # Probes and metrics (the ops blueprint) never load a session: a probe every second
    # must not write last_seen_at, nor fail when the database is what is down.
    if request.endpoint in (None, "static") or request.blueprint == "ops":
        return
    if "_user_id" not in session:
        return
    if current_user.is_authenticated and sessions.touch(get_session(), g.login_session):
        get_session().commit()


def init_app(app: Flask) -> None:
    # Settings are parsed once here so a typo fails at start-up, not at the first log-in.
    login_limits.parse_limit(settings(app).login_account_limit)
    _lifetime(app)
    login_cache.init_app(app)
    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)
    app.before_request(_load_and_touch)


def account_limit():
    return login_limits.parse_limit(settings().login_account_limit)
