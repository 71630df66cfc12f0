"""The per-account log-in limit, counted in the database.

Why the database and not flask-limiter: without Redis its counters live in each gunicorn
worker (four workers let 40 guesses through a limit of 10), and keyed by IP a proxy or an
office NAT turns one attacker into a lock-out for everybody. A row per attempt, keyed by the
account, is the same for every worker and host, with or without Redis.

An attempt is written and committed *before* the password is checked, then counted: of N+1
attempts racing on one account, the last to commit sees all N+1 and is refused, so parallel
requests cannot slip past the limit. A refused attempt removes its row (hammering a locked
account does not extend the lock), and a success clears the account's rows.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import timedelta

from limits import RateLimitItem, parse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import db
from .models import LoginAttempt


@dataclass(frozen=True)
class Lockout:
    retry_after_seconds: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after_seconds / 60))
        wait = "a minute" if minutes == 1 else f"{minutes} minutes"
        return (
            "Too many failed log-ins for this account. "
            f"For your security, wait {wait} and try again."
        )


def account_key(normalised_email: str, secret: str) -> str:
    return hmac.new(secret.encode(), normalised_email.encode(), hashlib.sha256).hexdigest()


def parse_limit(text: str) -> RateLimitItem:
    return parse(text)


def record_attempt(session: Session, key: str, limit: RateLimitItem) -> LoginAttempt:
    """Write the attempt (commit before calling ``check``) and forget attempts out of any window."""
    now = db.utcnow()
    session.execute(delete(LoginAttempt).where(LoginAttempt.created_at <= now - _window(limit)))
    attempt = LoginAttempt(account_key=key, created_at=now)
    session.add(attempt)
    session.flush()
    return attempt


def check(session: Session, attempt: LoginAttempt, limit: RateLimitItem) -> Lockout | None:
    """Count the committed attempts in the window; over the limit, drop ``attempt`` and refuse."""
    since = db.utcnow() - _window(limit)
    times = session.scalars(
        select(LoginAttempt.created_at)
        .where(LoginAttempt.account_key == attempt.account_key, LoginAttempt.created_at > since)
        .order_by(LoginAttempt.created_at)
    ).all()
    if len(times) <= limit.amount:
        return None
    session.delete(attempt)
    session.flush()
    # A slot frees when the oldest attempt leaves the window.
    wait = times[0] + _window(limit) - db.utcnow()
    return Lockout(retry_after_seconds=max(1, math.ceil(wait.total_seconds())))


def succeeded(session: Session, key: str) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.account_key == key))


def _window(limit: RateLimitItem) -> timedelta:
    return timedelta(seconds=limit.get_expiry())
