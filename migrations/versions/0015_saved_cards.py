"""Saved cards: one Stripe Customer per owner and the card saved on it.

Revision ID: 0015_saved_cards
Revises: 0014_notification_reads
Create Date: 2026-12-01

- ``billing_profiles``: the owner's Stripe Customer id (unique), the default payment method
  and its brand, last four digits and expiry; ``card_saved_at``/``card_source_id`` order the
  cards Stripe saved (a late webhook of an older setup never replaces a newer card);
  ``setup_attempt`` numbers the setup Checkout Sessions for their idempotency keys.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0015_saved_cards"
down_revision = "0014_notification_reads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=False),
        sa.Column("payment_method_id", sa.String(length=255), nullable=True),
        sa.Column("card_brand", sa.String(length=32), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_exp_month", sa.Integer(), nullable=True),
        sa.Column("card_exp_year", sa.Integer(), nullable=True),
        sa.Column("card_saved_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("card_source_id", sa.String(length=255), nullable=True),
        sa.Column("setup_attempt", sa.Integer(), nullable=False),
        sa.Column("updated_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_billing_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_billing_profiles")),
        sa.UniqueConstraint(
            "stripe_customer_id", name=op.f("uq_billing_profiles_stripe_customer_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("billing_profiles")
