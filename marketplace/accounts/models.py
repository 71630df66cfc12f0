"""People: every account has exactly one role, owner or assistant."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from .addresses import lookup_key, wire_address


class Role(StrEnum):
    OWNER = "owner"
    ASSISTANT = "assistant"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # As typed, normalised by the email standards (accounts.addresses): what we show.
    email: Mapped[str] = mapped_column(String(254))
    # Set from `email` whenever it is assigned: the one case-insensitive identity of an address.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    # None until the owner of the address follows the emailed link; such a sign-up cannot log
    # in, and a new sign-up for the same address replaces it.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    display_name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @validates("email")
    def _keep_key_in_step(self, _key: str, address: str) -> str:
        self.email_key = lookup_key(address)
        return address

    @property
    def mail_address(self) -> str:
        """The address in the ASCII form SMTP servers accept (the domain in Punycode)."""
        return wire_address(self.email)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_assistant(self) -> bool:
        return self.role == Role.ASSISTANT

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
