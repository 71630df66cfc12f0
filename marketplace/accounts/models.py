"""People: every account has exactly one role, owner or assistant."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String, false, select, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from .addresses import lookup_key, wire_address

# Suspended or deleted: listed nowhere (in_good_standing).
GONE = "suspended_at IS NOT NULL OR deleted_at IS NOT NULL"


class Role(StrEnum):
    OWNER = "owner"
    ASSISTANT = "assistant"


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # The few accounts in_good_standing leaves out, read at once instead of scanning every
        # user on each list of tasks or profiles (80 ms of every job search at 100,000 users).
        Index(
            "ix_users_gone",
            "id",
            postgresql_where=text(GONE),
            sqlite_where=text(GONE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # As typed, normalised by the email standards (accounts.addresses): what we show.
    email: Mapped[str] = mapped_column(String(254))
    # Set from `email` whenever it is assigned: the one case-insensitive identity of an address.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    # None until the owner of the address follows the emailed link; such a sign-up cannot log
    # in, and a new sign-up for the same address replaces it.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An address this person asked to move to (settings): it replaces `email` only once the
    # link sent to it is followed, so until then the old address is the one that logs in.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    display_name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Runs the marketplace (/operator). A flag, not a Role: an operator may also be an owner
    # or an assistant, and every role check stays about what the person does on the market.
    # Set only by `flask operator grant EMAIL`; no form or sign-up can reach it.
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set by an operator: the account cannot log in, its sessions stop, its open tasks leave
    # every feed and its contracts freeze until an operator settles them.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the person deleted their account (accounts.deletion): the row stays, anonymised,
    # for the contracts and money records that refer to it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

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
    def is_active(self) -> bool:
        """Flask-Login's word for "may be logged in": false while suspended or deleted."""
        return self.suspended_at is None and self.deleted_at is None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_assistant(self) -> bool:
        return self.role == Role.ASSISTANT

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


def in_good_standing(user_id_column):
    """SQL: the user in ``user_id_column`` is neither suspended nor deleted (their tasks and
    profile are listed, their contracts move)."""
    # Word for word the predicate of ix_users_gone, so both databases read the set from it.
    return user_id_column.not_in(select(User.id).where(text(GONE)))


class LoginSession(Base):
    """One log-in of one browser: the cookie carries a random token, this row its SHA-256.

    A cookie is only as good as its row: log-out revokes it, and it dies at ``expires_at``
    whatever the cookie says, so a copied cookie stops working.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginAttempt(Base):
    """A log-in attempt not (yet) followed by a success, for the per-account limit.

    ``account_key`` is an HMAC of the normalised email, never the typed text (people type
    passwords into the email field), and is the same whether or not the account exists.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_account_key_created_at", "account_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
