"""The outbox sender's claim token: a row is sent only by the sender run that holds its lease.

Revision ID: 0008_email
Revises: 0007_auth
Create Date: 2026-12-01

A nullable column, so existing rows keep their values (pending rows are simply unclaimed).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_email"
down_revision = "0007_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("claim_token")
