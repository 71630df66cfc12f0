"""Signed, expiring, single-use links for accounts: sign-up confirmation, password reset and
email change, each with its own purpose (a link made for one is refused by the others).

A token carries the user id and a fingerprint of the account's state (address, password
hash, verification time, the address waiting to be confirmed). It is signed with SECRET_KEY
and timestamped (itsdangerous), so it cannot be forged and expires; it is single use because
using it changes the state it fingerprints (confirming sets the verification time, a reset
sets a new password hash, an email change the address), with no table of used tokens to keep.
The timestamp and the expiry are read from the app's one clock.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .. import db
from ..errors import DomainError
from .models import User

CONFIRM_SIGNUP = "confirm-signup"
SIGNUP_LINK_MAX_AGE = timedelta(hours=48)
RESET_PASSWORD = "reset-password"
# Short: the link is as good as the password to whoever reads the mailbox.
RESET_LINK_MAX_AGE = timedelta(hours=1)
CHANGE_EMAIL = "change-email"
EMAIL_CHANGE_LINK_MAX_AGE = timedelta(hours=24)


class LinkInvalid(DomainError):
    status_code = 400


class LinkForAnotherAccount(LinkInvalid):
    status_code = 403


def fingerprint(user: User) -> str:
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    state = f"{user.id}\n{user.email_key}\n{user.password_hash}\n{verified}"
    if user.pending_email:
        # Only when set, so links sent before email changes existed keep their fingerprint.
        state += f"\n{user.pending_email}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(db.utcnow().timestamp())


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"delegate.{purpose}.v1", signer=_ClockSigner)


def make_token(secret_key: str, purpose: str, user: User) -> str:
    return _serializer(secret_key, purpose).dumps({"u": user.id, "f": fingerprint(user)})


def read_token(secret_key: str, purpose: str, token: str, max_age: timedelta) -> tuple[int, str]:
    """(user id, fingerprint) of a genuine, unexpired token; LinkInvalid otherwise."""
    try:
        data = _serializer(secret_key, purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise LinkInvalid("This link has expired.") from exc
    except BadSignature as exc:
        raise LinkInvalid("This link is not valid. Copy the whole link from the email.") from exc
    if not (isinstance(data, dict) and isinstance(data.get("u"), int) and "f" in data):
        raise LinkInvalid("This link is not valid. Copy the whole link from the email.")
    return data["u"], str(data["f"])


def matches(user: User, expected_fingerprint: str) -> bool:
    return hmac.compare_digest(fingerprint(user), expected_fingerprint)


def browser_check(secret_key: str, fingerprint_value: str) -> str:
    """What the signing-up browser keeps in its session cookie: that browser may confirm with
    one click. Flask's cookie is signed, not encrypted, so this is a keyed hash, the same
    length as the random stand-in given when the address already has an account."""
    digest = hmac.new(secret_key.encode(), fingerprint_value.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def is_signing_up_browser(secret_key: str, user: User, check: str) -> bool:
    expected = browser_check(secret_key, fingerprint(user))
    return bool(check) and hmac.compare_digest(check, expected)
