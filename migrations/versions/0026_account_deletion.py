"""Account deletion: when a person deleted their account.

Revision ID: 0026_account_deletion
Revises: 0019_match_events
Create Date: 2026-12-01

- ``users.deleted_at`` (nullable): set by ``accounts.deletion.delete_account``; the row stays,
  anonymised, because contracts, timesheets, ledger rows and payouts refer to it.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0026_account_deletion"
down_revision = "0019_match_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deleted_at", marketplace.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deleted_at")
