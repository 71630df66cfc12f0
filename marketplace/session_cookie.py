"""The signed session cookie, tolerant of clocks a little apart between web hosts.

Flask signs the session cookie with the signing host's clock and the reading host refuses
any cookie whose signature is even a second "from the future" (itsdangerous treats a negative
age as expired). With several web hosts, a host one second behind the one that last re-signed
the cookie would log the person out. The log-in's real lifetime is enforced on the server
(``accounts.sessions``), so the cookie's own timestamp only has to reject what is clearly
wrong: older than the lifetime, or further ahead than hosts' clocks ever drift apart.
"""

from __future__ import annotations

from typing import Any, Literal, overload

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import SignatureExpired, TimestampSigner, URLSafeTimedSerializer

CLOCK_SKEW_SECONDS = 300


class _SkewTolerantSigner(TimestampSigner):
    @overload
    def unsign(
        self,
        signed_value: str | bytes,
        max_age: int | None = None,
        return_timestamp: Literal[False] = False,
    ) -> bytes: ...

    @overload
    def unsign(
        self,
        signed_value: str | bytes,
        max_age: int | None = None,
        return_timestamp: Literal[True] = True,
    ) -> tuple[bytes, Any]: ...

    def unsign(
        self, signed_value: str | bytes, max_age: int | None = None, return_timestamp: bool = False
    ) -> Any:
        value, signed_at = super().unsign(signed_value, max_age=None, return_timestamp=True)
        if max_age is not None:
            age = self.get_timestamp() - int(signed_at.timestamp())
            if age > max_age or age < -CLOCK_SKEW_SECONDS:
                raise SignatureExpired(
                    f"Signature age {age} outside [-{CLOCK_SKEW_SECONDS}, {max_age}] seconds",
                    payload=value,
                    date_signed=signed_at,
                )
        return (value, signed_at) if return_timestamp else value


class SkewTolerantSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            serializer.signer = _SkewTolerantSigner
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = SkewTolerantSessionInterface()
