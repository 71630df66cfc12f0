"""What a person changes about their own account: name, password, email address.

A new address takes effect only once the link sent to it is followed, so a typo cannot lock
anybody out: until then the old address is the one that logs in and gets mail, and it is told
of the request and of the change. Whether the new address already has an account shows
nowhere but in that address's own mailbox (it is told it has one, as at sign-up), so the
form cannot be used to find out who is registered.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid
from ..notifications import notices
from ..text import single_line
from . import tokens
from .addresses import lookup_key, normalise_email
from .models import User
from .services import account_for_link, password_matches, set_password

STALE_EMAIL_LINK = (
    "This link was used already, or a newer change of address (or of password) replaced it. "
    "Ask for the change again on your settings page."
)


class AddressTaken(tokens.LinkInvalid):
    status_code = 409


def _require_password(user: User, password: str, field: str) -> None:
    if not password_matches(user, password):
        raise Invalid("That is not your current password.", field)


def change_name(session: Session, user: User, name: str) -> None:
    name = single_line(name).strip()
    if not name:
        raise Invalid("Tell us your name.", "display_name")
    user.display_name = name
    session.flush()


def change_timezone(session: Session, user: User, zone: str) -> bool:
    """The person's one zone: times are shown in it and, for an assistant, their working
    hours are in it (so the matcher must re-rank them). True when it changed."""
    from ..profiles.models import AssistantProfile  # profiles build on accounts, not back

    if user.timezone == zone:
        return False
    profile = session.get(AssistantProfile, user.id)
    if profile is not None:
        profile.timezone = zone  # the account's, and the stamp the matcher's index reads
    else:
        user.timezone = zone
    session.flush()
    return True


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Signs out every session of the account, this one too: the view logs this browser in
    again with a new session id."""
    _require_password(user, current, "current_password")
    if not set_password(session, user, new, confirm_address=False):
        raise Conflict("Your password was changed meanwhile. Log in again and retry.")


def request_email_change(session: Session, user: User, new_email: str, password: str) -> str:
    """Record the address to move to and email it; the normalised address. The same outcome
    whether or not the address has an account: only what its mailbox receives differs."""
    _require_password(user, password, "password")
    new_email = normalise_email(new_email)
    key = lookup_key(new_email)
    if key == user.email_key:
        raise Invalid("That is already your address.", "email")
    user.pending_email = new_email
    session.flush()
    holder = session.scalar(select(User).where(User.email_key == key))
    if holder is not None and holder.is_verified:
        notices.notify_account_exists(session, holder, email_change=True)
    else:
        notices.notify_email_change_confirm(session, user, new_email)
    notices.notify_email_change_requested(session, user, new_email)
    return new_email


def cancel_email_change(session: Session, user: User) -> None:
    user.pending_email = None  # and with it the fingerprint its link was made for
    session.flush()


def account_for_email_link(
    session: Session, secret_key: str, token: str, *, viewer_id: int | None
) -> User:
    return account_for_link(
        session, secret_key, tokens.CHANGE_EMAIL, token, viewer_id=viewer_id, stale=STALE_EMAIL_LINK
    )


def confirm_email_change(session: Session, user: User) -> str:
    """Move the account to its pending address, once; the new address."""
    old, new = user.email, user.pending_email
    if new is None:
        raise tokens.LinkInvalid(STALE_EMAIL_LINK)
    key = lookup_key(new)
    try:
        with session.begin_nested():
            # An unconfirmed sign-up for the address never proved the mailbox; this link did.
            session.execute(
                delete(User).where(
                    User.email_key == key, User.id != user.id, User.email_verified_at.is_(None)
                )
            )
            moved = rows_changed(
                session,
                update(User)
                .where(User.id == user.id, User.pending_email == new, User.email == old)
                .values(email=new, email_key=key, pending_email=None, email_verified_at=utcnow())
                .execution_options(synchronize_session=False),
            )
    except IntegrityError as exc:  # a confirmed account holds the address
        raise AddressTaken(
            f"{new} has meanwhile become the address of another Delegate account, "
            f"so yours is still {old}."
        ) from exc
    session.expire(user)
    if moved != 1:
        raise tokens.LinkInvalid(STALE_EMAIL_LINK)
    notices.notify_email_changed(session, user, old, new)
    return new
