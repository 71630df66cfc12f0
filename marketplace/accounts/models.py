"""People: every account has exactly one role, owner or assistant."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum


class Role(StrEnum):
    OWNER = "owner"
    ASSISTANT = "assistant"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored case-folded by accounts.services, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    display_name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_assistant(self) -> bool:
        return self.role == Role.ASSISTANT

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
