"""Personal access tokens: how a script or an integration acts as one person over the API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum


class TokenScope(StrEnum):
    READ = "read"
    READ_WRITE = "read_write"

    @property
    def label(self) -> str:
        return "Read only" if self == TokenScope.READ else "Read and write"


class ApiToken(Base):
    """One token of one person. The secret itself is never stored: only its SHA-256.

    The secret is 256 random bits, so a fast hash is as safe as a slow one (nobody can guess
    such a secret, however cheap each guess) and lets every API request find its token by an
    indexed lookup instead of spending argon2's tens of milliseconds of CPU on it; login
    sessions store their cookie tokens the same way. ``prefix`` is the secret's first
    characters, shown in lists so a person can tell their tokens apart.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[TokenScope] = mapped_column(str_enum(TokenScope, "api_token_scope"))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
