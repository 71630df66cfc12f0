"""Money first-hour fixes: invitation terms, re-hiring after a cancelled contract, payout holds,
re-submitted proposals, fee reversals, and the work-submitted / contract-cancelled emails.

Revision ID: 0005_money
Revises: 0004
Create Date: 2026-12-01

- invitations get the rate (cents + currency) and hours the owner saw when inviting; existing
  rows are filled from the assistant's current profile and the task's hours, which is what
  accepting them used until now.
- contracts: the one-contract-per-proposal unique constraint becomes a partial unique index
  over contracts that are not cancelled or refunded; a `payout_hold` reason column.
- proposals: a `revision` counter (1 for every existing row).
- the CHECK constraints of the notification and ledger kinds take the new values.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_money"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_KINDS = [
    "new_match",
    "recommendations",
    "invitation",
    "new_proposal",
    "daily_digest",
    "contract_funded",
    "payment_sent",
    "refund_issued",
    "invitation_accepted",
]
NEW_KINDS = [*OLD_KINDS, "work_submitted", "contract_cancelled"]
OLD_ENTRIES = ["charge", "fee", "transfer", "refund"]
NEW_ENTRIES = [*OLD_ENTRIES, "fee_reversal"]
ACTIVE = sa.text("status NOT IN ('cancelled', 'refunded')")


def _replace_check(table: str, name: str, column: str, values: list[str]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(name), type_="check")
        batch.create_check_constraint(op.f(name), f"{column} IN ({listed})")


def upgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("rate_cents", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("hours", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_invitations_positive_terms"), "rate_cents > 0 AND hours > 0"
        )
    op.execute(
        """
        UPDATE invitations SET
          rate_cents = (SELECT p.hourly_rate_cents FROM assistant_profiles p
                        WHERE p.user_id = invitations.assistant_id),
          currency = (SELECT p.currency FROM assistant_profiles p
                      WHERE p.user_id = invitations.assistant_id),
          hours = (SELECT COALESCE(CASE WHEN t.engagement = 'recurring' THEN t.hours_per_week
                                        ELSE t.estimated_hours END, 1)
                   FROM tasks t WHERE t.id = invitations.task_id)
        """
    )

    with op.batch_alter_table("contracts") as batch:
        batch.drop_constraint(op.f("uq_contracts_proposal_id"), type_="unique")
        batch.add_column(sa.Column("payout_hold", sa.Text(), nullable=True))
    op.create_index(
        "uq_contracts_active_proposal",
        "contracts",
        ["proposal_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )

    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))

    _replace_check("notifications", "ck_notifications_notification_kind", "kind", NEW_KINDS)
    _replace_check("ledger_entries", "ck_ledger_entries_ledger_entry_kind", "kind", NEW_ENTRIES)


def downgrade() -> None:
    kinds = ", ".join(f"'{k}'" for k in OLD_KINDS)
    op.execute(f"DELETE FROM notifications WHERE kind NOT IN ({kinds})")
    _replace_check("notifications", "ck_notifications_notification_kind", "kind", OLD_KINDS)
    op.execute("DELETE FROM ledger_entries WHERE kind = 'fee_reversal'")
    _replace_check("ledger_entries", "ck_ledger_entries_ledger_entry_kind", "kind", OLD_ENTRIES)

    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("revision")

    op.drop_index("uq_contracts_active_proposal", table_name="contracts")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("payout_hold")
        batch.create_unique_constraint(op.f("uq_contracts_proposal_id"), ["proposal_id"])

    with op.batch_alter_table("invitations") as batch:
        batch.drop_constraint(op.f("ck_invitations_positive_terms"), type_="check")
        batch.drop_column("hours")
        batch.drop_column("currency")
        batch.drop_column("rate_cents")
