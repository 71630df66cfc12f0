"""Each milestone of a fixed contract funded on its own, not the whole price at hire.

Revision ID: 0038_milestone_funding
Revises: 0037_home_page_index
Create Date: 2026-12-02

- ``contracts.funded_per_milestone``: the owner pays each milestone when it is its turn
  (true for fixed contracts hired from now on with two milestones or more). Every existing
  contract is false: it was paid for, or is waiting to be paid, as a whole, and goes on so.
- ``milestones``: what paying for one milestone needs: its Checkout attempts and Session, its
  PaymentIntent, charge and refund, when it was funded, and why its last payment failed.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0038_milestone_funding"
down_revision = "0037_home_page_index"
branch_labels = None
depends_on = None

UNIQUE = ("checkout_session_id", "payment_intent_id", "refund_id")


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(
            sa.Column(
                "funded_per_milestone", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(
            sa.Column("checkout_attempt", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("checkout_session_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("payment_intent_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("charge_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("refund_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("last_payment_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("funded_at", marketplace.db.UTCDateTime(), nullable=True))
        for column in UNIQUE:
            batch.create_unique_constraint(op.f(f"uq_milestones_{column}"), [column])


def downgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        for column in UNIQUE:
            batch.drop_constraint(op.f(f"uq_milestones_{column}"), type_="unique")
        for column in (
            "funded_at",
            "last_payment_error",
            "refund_id",
            "charge_id",
            "payment_intent_id",
            "checkout_session_id",
            "checkout_attempt",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("funded_per_milestone")
