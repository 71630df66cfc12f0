"""A settlement's payout can be held, as a week's can.

Revision ID: 0039_settlement_payout_hold
Revises: 0038_milestone_funding
Create Date: 2026-12-02

- ``timesheet_dispute_settlements.payout_hold``: why the assistant's share of an operator's
  settlement must not go out: the owner's settlement payment was refunded in Stripe's
  dashboard or disputed by the card holder. Empty for every existing settlement.
"""

import sqlalchemy as sa
from alembic import op

revision = "0039_settlement_payout_hold"
down_revision = "0038_milestone_funding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timesheet_dispute_settlements") as batch:
        batch.add_column(sa.Column("payout_hold", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timesheet_dispute_settlements") as batch:
        batch.drop_column("payout_hold")
