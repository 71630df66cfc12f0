"""Server-side log-in sessions: what makes a session cookie revocable.

The signed Flask cookie carries a random token; the database keeps only its SHA-256 in
``login_sessions``. A cookie is honoured only while its row is neither revoked nor past its
absolute lifetime, so log-out, "sign out my other sessions" (settings, password change or
reset) and the lifetime all work on cookies that have already been copied.
Services here take a session and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from .. import db
from .login_cache import LoginCache
from .models import LoginSession, User

# last_seen_at is for people reviewing their sessions; a write per request would be waste.
TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class LiveSession:
    login_session: LoginSession
    user: User


def secret_digest(token: str) -> str:
    """What is stored of a random secret (a cookie's token, an API token): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, lifetime: timedelta) -> str:
    """Open a log-in session for ``user``; returns the token the cookie must carry."""
    token = secrets.token_urlsafe(32)
    now = db.utcnow()
    session.add(
        LoginSession(
            token_hash=secret_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


# Built once: every logged-in request runs it, and building the statement cost a third of it.
_BEHIND_TOKEN = (
    select(LoginSession, User)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.token_hash == bindparam("digest"))
)


def find_live(
    session: Session, token: str | None, cache: LoginCache | None = None
) -> LiveSession | None:
    """The session behind ``token`` and its user, unless revoked, expired or unknown; from
    this worker's ``cache`` when it holds them (see login_cache)."""
    if not token or not isinstance(token, str):
        return None
    digest = secret_digest(token)
    row = cache.get(session, digest) if cache is not None else None
    if row is None:
        generation = cache.generation if cache is not None else 0
        row = session.execute(_BEHIND_TOKEN, {"digest": digest}).one_or_none()
        if row is None:
            return None
        if cache is not None:
            cache.keep(digest, *row, generation=generation)
    login_session, user = row
    if login_session.revoked_at is not None or db.utcnow() >= login_session.expires_at:
        return None
    return LiveSession(login_session, user)


def touch(session: Session, login_session: LoginSession) -> bool:
    """Record activity at most every TOUCH_INTERVAL; True when a row was changed."""
    now = db.utcnow()
    if now - login_session.last_seen_at < TOUCH_INTERVAL:
        return False
    login_session.last_seen_at = now
    session.flush()
    return True


def revoke(session: Session, token: str | None) -> None:
    if token and isinstance(token, str):
        _revoke_where(session, LoginSession.token_hash == secret_digest(token))


def sign_out_other_sessions(session: Session, user_id: int, keep_token: str | None) -> int:
    """Revoke every live session of the user but the one holding ``keep_token``.

    For "sign out my other sessions", a password change and a password reset (pass
    ``keep_token=None`` there to end them all). Returns how many were revoked.
    """
    condition = LoginSession.user_id == user_id
    if keep_token:
        condition = condition & (LoginSession.token_hash != secret_digest(keep_token))
    return _revoke_where(session, condition)


def _revoke_where(session: Session, condition) -> int:
    now: datetime = db.utcnow()
    return db.rows_changed(
        session,
        update(LoginSession)
        .where(condition, LoginSession.revoked_at.is_(None), LoginSession.expires_at > now)
        .values(revoked_at=now),
    )
