"""Creating, listing, revoking and checking personal access tokens.

A token reads ``dlg_`` + 43 random URL-safe characters (256 bits). It is shown once, when it
is created; afterwards only its prefix is. Services flush; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import db
from ..accounts.models import User
from ..accounts.sessions import secret_digest
from ..errors import Invalid, NotFound
from .models import ApiToken, TokenScope

SECRET_MARK = "dlg_"
PREFIX_LENGTH = len(SECRET_MARK) + 8
MAX_LIFETIME = timedelta(days=366)
MAX_LIVE_TOKENS = 20
# last_used_at tells a person which tokens still serve; a write per request would be waste.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to its owner this once, stored nowhere


def expiry_for(days: int | None, on: date | None) -> datetime:
    """The end of a lifetime of ``days`` from now, or of the day ``on`` (UTC)."""
    now = db.utcnow()
    if days is not None:
        ends = now + timedelta(days=days)
    elif on is not None:
        ends = datetime.combine(on, time.max, UTC)
    else:
        raise Invalid("Choose when the token expires.", "expires_in")
    if ends <= now:
        raise Invalid("The expiry date must be in the future.", "expires_on")
    if ends - now > MAX_LIFETIME:
        raise Invalid("A token can live a year at most.", "expires_on")
    return ends


def create_token(
    session: Session, user: User, name: str, scope: TokenScope, expires_at: datetime
) -> NewToken:
    name = name.strip()
    if not name:
        raise Invalid("Name the token after what will use it.", "name")
    if len(live_tokens(session, user)) >= MAX_LIVE_TOKENS:
        raise Invalid(f"You have {MAX_LIVE_TOKENS} tokens: revoke one first.", "name")
    secret = SECRET_MARK + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        scope=scope,
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=secret_digest(secret),
        created_at=db.utcnow(),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return NewToken(token, secret)


def live_tokens(session: Session, user: User) -> list[ApiToken]:
    """The person's tokens that still work, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > db.utcnow(),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: int) -> None:
    """Compare-and-set, so two clicks (or two tabs) revoke once and the second is told."""
    revoked = db.rows_changed(
        session,
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=db.utcnow()),
    )
    if revoked != 1:
        raise NotFound("This token does not exist or is already revoked.")


def token_for_secret(session: Session, secret: str) -> ApiToken | None:
    """The live token behind ``secret``, unless revoked, expired, unknown, or its person is
    suspended (their tokens stop with their log-ins)."""
    if not secret.startswith(SECRET_MARK) or len(secret) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.secret_hash == secret_digest(secret)))
    if token is None or not token.is_live(db.utcnow()) or token.user.is_suspended:
        return None
    return token


def touch(session: Session, token: ApiToken) -> bool:
    """Record use at most every TOUCH_INTERVAL; True when the row was changed."""
    now = db.utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return False
    token.last_used_at = now
    session.flush()
    return True
