"""Sign-up, its confirmation by email, and log-in. Passwords are hashed with Argon2id.

Sign-up never says whether an address has an account (OWASP's advice against account
enumeration): every sign-up ends on the same "we sent a link" page, and the email decides.
A new address gets a confirmation link; an address with a confirmed account gets an email
saying so, with a log-in link; an unconfirmed sign-up for the address is replaced by the new
one, so pre-registering somebody else's address gains nothing (only the mailbox can confirm).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import add_once, rows_changed, utcnow
from ..errors import DomainError, Invalid
from ..notifications import notices
from ..text import single_line
from . import sessions, tokens
from .addresses import lookup_key, normalise_email
from .models import Role, User
from .passwords import password_problem

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a log-in attempt takes the same time
# whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

__all__ = ["normalise_email"]  # re-exported: accounts.addresses holds the rule


class AccountSuspended(DomainError):
    """The password was right but an operator suspended the account."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "This account is suspended, so it cannot log in. If you think this is a mistake, "
            "reply to any email from Delegate and support will look into it.",
            "email",
        )


class EmailNotConfirmed(DomainError):
    """The password was right but the address is not confirmed yet."""

    status_code = 403

    def __init__(self, email: str):
        super().__init__(
            "Confirm your email address first: follow the link we sent to "
            f"{email} when you signed up.",
            "email",
        )
        self.email = email


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str, *, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise Invalid(problem, "password")


@dataclass(frozen=True)
class SignUpOutcome:
    email: str  # normalised, for the "we sent a link to …" page
    browser_check: str  # for the signing-up browser's session: it may confirm in one click


def sign_up(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    display_name: str,
    timezone: str,
    secret_key: str,
) -> SignUpOutcome:
    """Record a sign-up and queue the email that decides what happens; the same outcome
    whether or not the address has an account."""
    email = normalise_email(email)
    display_name = single_line(display_name)
    check_new_password(password, email=email, name=display_name)
    # Hashed on every path, so the answer takes as long for a known address as a new one.
    fields = {
        "email": email,
        "password_hash": hash_password(password),
        "role": role,
        "display_name": display_name,
        "timezone": timezone,
    }
    user = _pending_sign_up(session, fields)
    if user is None:  # the address belongs to a confirmed account
        existing = session.scalars(select(User).where(User.email_key == lookup_key(email))).one()
        _email_that_decides(session, existing)
        return SignUpOutcome(email, secrets.token_hex(16))
    fp = _send_confirmation(session, user)
    return SignUpOutcome(email, tokens.browser_check(secret_key, fp))


def _pending_sign_up(session: Session, fields: dict) -> User | None:
    """The unconfirmed account for these fields, new or replacing an older unconfirmed one;
    None when the address already has a confirmed account."""
    key = lookup_key(fields["email"])
    for _attempt in range(3):
        user = session.scalar(select(User).where(User.email_key == key))
        if user is None:
            user = User(**fields)
            if add_once(session, user):
                return user
            continue  # a concurrent sign-up for the address won the insert
        if user.is_verified:
            return None
        # Compare-and-set: only while still unconfirmed (its link may be in use right now).
        replaced = rows_changed(
            session,
            update(User)
            .where(User.id == user.id, User.email_verified_at.is_(None))
            .values(**fields, email_key=key, created_at=utcnow())
            .execution_options(synchronize_session=False),
        )
        session.expire(user)
        if replaced == 1:
            return user
    raise DomainError("Too many sign-ups for this address at once. Try again in a minute.")


def _email_that_decides(session: Session, user: User) -> str | None:
    """A confirmed account is told it exists; a pending sign-up gets its confirmation link.
    Returns the fingerprint the link is for (pending sign-ups only)."""
    if user.is_verified:
        notices.notify_account_exists(session, user)
        return None
    return _send_confirmation(session, user)


def _send_confirmation(session: Session, user: User) -> str:
    """Queue an unconfirmed account's confirmation link; the fingerprint it is for."""
    notices.notify_signup_confirmation(session, user)
    return tokens.fingerprint(user)


def resend_confirmation(session: Session, email: str) -> str | None:
    """Send the link again (or, for a confirmed account, the "you have an account" email);
    the normalised address, or None when it is not an address at all. Says nothing about
    whether the address has an account."""
    try:
        email = normalise_email(email)
    except Invalid:
        return None
    user = session.scalar(select(User).where(User.email_key == lookup_key(email)))
    if user is not None:
        _email_that_decides(session, user)
    return email


def pending_sign_up_for(session: Session, secret_key: str, token: str) -> User:
    """The unconfirmed account a confirmation link is for; LinkInvalid with the reason."""
    user_id, fp = tokens.read_token(
        secret_key, tokens.CONFIRM_SIGNUP, token, tokens.SIGNUP_LINK_MAX_AGE
    )
    user = session.get(User, user_id)
    if user is None or not tokens.matches(user, fp):
        raise tokens.LinkInvalid(
            "This link was used already, or a newer sign-up for the address replaced it. "
            "Log in, or sign up again to get a new link."
        )
    return user


def confirm_sign_up(session: Session, user: User) -> None:
    """Mark the address confirmed, once: a second click of the same link finds it done."""
    confirmed = rows_changed(
        session,
        update(User)
        .where(User.id == user.id, User.email_verified_at.is_(None))
        .values(email_verified_at=utcnow())
        .execution_options(synchronize_session=False),
    )
    session.expire(user)
    if confirmed != 1:
        raise tokens.LinkInvalid("This link was used already. Log in with your password.")


def account_for_link(
    session: Session,
    secret_key: str,
    purpose: str,
    token: str,
    *,
    viewer_id: int | None,
    stale: str,
) -> User:
    """The account a reset or email-change link is for, while the link is genuine, unexpired
    and unused (``stale`` says why not); LinkInvalid otherwise. ``viewer_id`` is whoever is
    logged in in this browser: a link for another account is refused rather than acted on
    behind the back of the person at the keyboard."""
    max_age = {
        tokens.RESET_PASSWORD: tokens.RESET_LINK_MAX_AGE,
        tokens.CHANGE_EMAIL: tokens.EMAIL_CHANGE_LINK_MAX_AGE,
    }[purpose]
    user_id, fp = tokens.read_token(secret_key, purpose, token, max_age)
    user = session.get(User, user_id)
    if user is None or not tokens.matches(user, fp):
        raise tokens.LinkInvalid(stale)
    if viewer_id is not None and viewer_id != user.id:
        raise tokens.LinkForAnotherAccount(
            "This link is for another Delegate account than the one logged in here. "
            "Log out, then open the link again."
        )
    return user


def set_password(session: Session, user: User, password: str, *, confirm_address: bool) -> bool:
    """The one way a password changes (a reset or the settings page): checked as a new one,
    then set only if the hash is still the one read (a reset link used twice at once sets
    one password; False for the other). It ends every log-in session of the account, cancels
    a waiting email change (its link fingerprinted the old hash anyway) and tells the
    address. ``confirm_address``: a reset link proves the mailbox, as a confirmation would."""
    check_new_password(password, email=user.email, name=user.display_name)
    values: dict = {"password_hash": hash_password(password), "pending_email": None}
    if confirm_address and not user.is_verified:
        values["email_verified_at"] = utcnow()
    changed = rows_changed(
        session,
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    session.expire(user)
    if changed != 1:
        return False
    sessions.sign_out_other_sessions(session, user.id, keep_token=None)
    notices.notify_password_changed(session, user)
    return True


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email_key == lookup_key(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    # Only after the password matched, so this reveals nothing to someone guessing addresses.
    if not user.is_verified:
        raise EmailNotConfirmed(user.email)
    if user.is_suspended:
        raise AccountSuspended()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
