"""In-app notifications: when each person opened theirs.

Revision ID: 0014_notification_reads
Revises: 0013_planner
Create Date: 2026-12-01

- ``notifications.read_at`` (nullable): set when the person opens their notifications page;
  the bell counts the rows without it.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0014_notification_reads"
down_revision = "0013_planner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_at", marketplace.db.UTCDateTime(), nullable=True))
        batch_op.create_index("ix_notifications_user_unread", ["user_id", "read_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_unread")
        batch_op.drop_column("read_at")
