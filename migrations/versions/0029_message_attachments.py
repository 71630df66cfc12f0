"""Message attachments: files sent with a message, kept in storage under a random key.

Revision ID: 0029_message_attachments
Revises: 0028_timesheet_disputes
Create Date: 2026-12-01

- ``message_attachments``: per file, its message (deleted with it), the random storage key
  (unique: the bytes live in the storage backend, local folder or S3, never in the database),
  the sender's file name cleaned for display, the content type it is served as and its size.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0029_message_attachments"
down_revision = "0028_timesheet_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_message_attachments_storage_key")),
    )
    op.create_index(
        op.f("ix_message_attachments_message_id"), "message_attachments", ["message_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_attachments_message_id"), table_name="message_attachments")
    op.drop_table("message_attachments")
