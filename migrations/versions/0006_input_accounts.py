"""Accounts: addresses by the email standards, a lookup key, email confirmation; the account
email kinds.

Revision ID: 0006_input
Revises: 0005_money
Create Date: 2026-11-27

- ``users.email_key`` (unique) replaces the unique constraint on ``users.email``: the local
  part lower()-ed and the domain in its IDNA ASCII form. Existing rows were stored
  case-folded; each is re-normalised here with email-validator (the same rules as
  marketplace/accounts/addresses.py, copied so this migration never changes under it). Two old
  rows that turn out to be one address (``a@bücher.de`` and ``a@xn--bcher-kva.de``) keep
  their data: the older keeps the key, the newer gets a key nobody can type and is logged.
- ``users.email_verified_at``: existing accounts are taken as confirmed (set to their
  creation time); they signed up before confirmation existed and must not be locked out.
- ``notifications.kind`` accepts ``signup_confirmation`` and ``account_exists``.
"""

import logging

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

import marketplace.db

revision = "0006_input"
down_revision = "0005_money"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

OLD_KINDS = [
    "new_match", "recommendations", "invitation", "new_proposal", "daily_digest",
    "contract_funded", "payment_sent", "refund_issued", "invitation_accepted",
    "work_submitted", "contract_cancelled",
]
NEW_KINDS = [*OLD_KINDS, "signup_confirmation", "account_exists"]

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("email_key", sa.String),
    sa.column("email_verified_at", marketplace.db.UTCDateTime()),
    sa.column("created_at", marketplace.db.UTCDateTime()),
)


def _normalised(email: str) -> tuple[str, str]:
    """(address to store, lookup key) for a stored address."""
    try:
        checked = validate_email(
            email.strip(),
            check_deliverability=False,
            allow_smtputf8=False,
            globally_deliverable=False,
        )
    except EmailNotValidError:
        return email, email.strip().lower()
    return checked.normalized, f"{checked.local_part.lower()}@{checked.ascii_domain}"


def _replace_kind_check(kinds: list[str]) -> None:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({values})"
        )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_key", sa.String(length=254), nullable=True))
        batch.add_column(
            sa.Column("email_verified_at", marketplace.db.UTCDateTime(), nullable=True)
        )
        # First: two old spellings of one address become equal once normalised.
        batch.drop_constraint(op.f("uq_users_email"), type_="unique")

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(users.c.id, users.c.email, users.c.created_at).order_by(users.c.id)
    ).all()
    taken: set[str] = set()
    for user_id, email, created_at in rows:
        address, key = _normalised(email)
        if key in taken:
            log.warning("users.id=%s is the same address as an older account: %s", user_id, key)
            key = f"duplicate-{user_id}:{key}"[:254]
        taken.add(key)
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(email=address, email_key=key, email_verified_at=created_at)
        )

    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_key", existing_type=sa.String(length=254), nullable=False)
        batch.create_unique_constraint(op.f("uq_users_email_key"), ["email_key"])

    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    kinds = ", ".join(repr(k) for k in OLD_KINDS)
    op.execute(f"DELETE FROM notifications WHERE kind NOT IN ({kinds})")
    _replace_kind_check(OLD_KINDS)
    # Sign-ups nobody confirmed could log in without confirmation under the old code.
    op.execute("DELETE FROM users WHERE email_verified_at IS NULL")
    # The old code looks addresses up lower-cased.
    op.execute("UPDATE users SET email = LOWER(email)")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_email_key"), type_="unique")
        batch.create_unique_constraint(op.f("uq_users_email"), ["email"])
        batch.drop_column("email_verified_at")
        batch.drop_column("email_key")
