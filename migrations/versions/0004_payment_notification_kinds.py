"""Notification kinds for hiring and money: invitation accepted, contract funded, payment sent,
refund issued.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

The kind column is a VARCHAR with a CHECK constraint (portable across SQLite and PostgreSQL),
so new values mean replacing the constraint; SQLite does that by rebuilding the table.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD = ["new_match", "recommendations", "invitation", "new_proposal", "daily_digest"]
NEW = [*OLD, "contract_funded", "payment_sent", "refund_issued", "invitation_accepted"]


def _replace_check(kinds: list[str]) -> None:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("notifications") as batch:
        # op.f(): the name is final, not to be run through the naming convention again.
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({values})"
        )


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    op.execute(f"DELETE FROM notifications WHERE kind NOT IN ({', '.join(repr(k) for k in OLD)})")
    _replace_check(OLD)
