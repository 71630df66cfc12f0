"""Card disputes of a contract's payment, each with what it disputes and whether handled.

Revision ID: 0040_card_disputes
Revises: 0039_settlement_payout_hold
Create Date: 2026-12-02

- ``card_disputes``: one row per ``charge.dispute.created`` on a contract's payment: Stripe's
  dispute id, the amount and currency the event said, Stripe's reason; and, once an operator
  marks it handled, the outcome (won, lost, dismissed), their note and when (who and why is in
  the audit log). The console's queue of disputes after the payout lists the open ones.
- Disputes of fixed contracts recorded before this table (only their ``stripe_events`` row)
  are copied in as open, their amount unknown (the console says to read it in Stripe). An
  hourly week's dispute holds that week's payout instead.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0040_card_disputes"
down_revision = "0039_settlement_payout_hold"
branch_labels = None
depends_on = None

OUTCOMES = ("won", "lost", "dismissed")


def upgrade() -> None:
    op.create_table(
        "card_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stripe_dispute_id", sa.String(length=255), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("opened_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                *OUTCOMES,
                name="card_dispute_outcome",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("handled_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_card_disputes_contract_id_contracts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_disputes")),
        sa.UniqueConstraint("stripe_dispute_id", name=op.f("uq_card_disputes_stripe_dispute_id")),
    )
    op.create_index(op.f("ix_card_disputes_contract_id"), "card_disputes", ["contract_id"])
    op.create_index(op.f("ix_card_disputes_handled_at"), "card_disputes", ["handled_at"])
    op.execute(
        "INSERT INTO card_disputes (contract_id, payment_intent_id, currency, opened_at)"
        " SELECT contracts.id, contracts.payment_intent_id, contracts.currency,"
        " stripe_events.received_at FROM stripe_events"
        " JOIN contracts ON contracts.id = stripe_events.contract_id"
        " WHERE stripe_events.type = 'charge.dispute.created' AND contracts.kind != 'hourly'"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_card_disputes_handled_at"), table_name="card_disputes")
    op.drop_index(op.f("ix_card_disputes_contract_id"), table_name="card_disputes")
    op.drop_table("card_disputes")
