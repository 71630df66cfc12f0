"""Password reset and account settings: the address waiting to be confirmed, and the account
email kinds for them.

Revision ID: 0010_settings
Revises: 0009_search
Create Date: 2026-12-01

- ``users.pending_email`` (nullable): an address the person asked to move to; it replaces
  ``email`` once the link sent to it is followed. Existing rows have none.
- ``notifications.kind`` accepts ``password_reset``, ``password_changed``,
  ``email_change_confirm``, ``email_change_requested`` and ``email_changed``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_settings"
down_revision = "0009_search"
branch_labels = None
depends_on = None

OLD_KINDS = [
    "new_match", "recommendations", "invitation", "new_proposal", "daily_digest",
    "contract_funded", "payment_sent", "refund_issued", "invitation_accepted",
    "work_submitted", "contract_cancelled", "signup_confirmation", "account_exists",
]  # fmt: skip
NEW_KINDS = [
    *OLD_KINDS,
    "password_reset", "password_changed",
    "email_change_confirm", "email_change_requested", "email_changed",
]  # fmt: skip


def _replace_kind_check(kinds: list[str]) -> None:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({values})"
        )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))
    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    kinds = ", ".join(repr(k) for k in OLD_KINDS)
    op.execute(f"DELETE FROM notifications WHERE kind NOT IN ({kinds})")
    _replace_kind_check(OLD_KINDS)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("pending_email")
