"""Match events: what owners and assistants did with shown matches, for the matcher to learn.

Revision ID: 0019_match_events
Revises: 0018_change_requests
Create Date: 2026-12-01

- ``match_events``: append-only; per (task, assistant) an impression (at most one a day),
  invite, proposal, hire or review, with the matcher's score and factor values then (JSON of
  numbers), the position shown at and a review's rating; one row per action (``dedup_key``).
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0019_match_events"
down_revision = "0018_change_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("assistant_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "impression",
                "invite",
                "proposal",
                "hire",
                "review",
                name="match_event_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("factors", sa.JSON(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("dedup_key", sa.String(length=96), nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_match_events_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["users.id"],
            name=op.f("fk_match_events_assistant_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_events")),
        sa.UniqueConstraint("dedup_key", name="uq_match_events_dedup_key"),
    )
    op.create_index("ix_match_events_task_assistant", "match_events", ["task_id", "assistant_id"])


def downgrade() -> None:
    op.drop_index("ix_match_events_task_assistant", table_name="match_events")
    op.drop_table("match_events")
