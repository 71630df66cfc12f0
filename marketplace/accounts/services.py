"""Sign-up and log-in. Passwords are hashed with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict
from .models import Role, User

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a log-in attempt takes the same time
# whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def sign_up(
    session: Session, *, email: str, password: str, role: Role, display_name: str, timezone: str
) -> User:
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists. Log in instead.", "email")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name.strip(),
        timezone=timezone,
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        raise Conflict(
            "An account with this email already exists. Log in instead.", "email"
        ) from exc
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
