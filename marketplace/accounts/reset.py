"""Password reset by an emailed link: single use, valid for an hour, and silent about
whether an address has an account.

Asking for a link answers the same page for every address, and does the same work in the
request whatever the answer: one lookup and, for an account, one outbox row. Rendering and
sending happen in the outbox, after the response, so the time taken tells nothing either.
Following the link and choosing a password ends every log-in session of the account (the
person may be resetting because someone else got in) and lifts its log-in lock.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..notifications import notices
from . import login_limits, tokens
from .addresses import lookup_key, normalise_email
from .models import User
from .services import account_for_link, set_password

STALE = (
    "This link was used already, or your password changed since it was sent. "
    "Ask for a new link if you still need one."
)


def request_reset(session: Session, email: str) -> str:
    """Queue the reset email when the address has an account; the normalised address."""
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email_key == lookup_key(email)))
    if user is not None:
        notices.notify_password_reset(session, user)
    return email


def account_for_reset(
    session: Session, secret_key: str, token: str, *, viewer_id: int | None
) -> User:
    return account_for_link(
        session, secret_key, tokens.RESET_PASSWORD, token, viewer_id=viewer_id, stale=STALE
    )


def reset_password(session: Session, secret_key: str, user: User, password: str) -> None:
    """Set the new password from a reset link (Invalid: a password we refuse). The link also
    confirms an unconfirmed sign-up: only the mailbox could have followed it."""
    if not set_password(session, user, password, confirm_address=True):
        raise tokens.LinkInvalid(STALE)
    login_limits.succeeded(session, login_limits.account_key(user.email_key, secret_key))
