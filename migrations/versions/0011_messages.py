"""Messages between a task's owner and an assistant: conversations, messages, reports, and
the email kind that tells someone about unread messages.

Revision ID: 0011_messages
Revises: 0010_settings
Create Date: 2026-12-01

- ``conversations``: one per (task, assistant), with each party's read pointer.
- ``messages``: plain text as written, in a conversation.
- ``message_reports``: a party's report of a message, for the operators (open until resolved).
- ``notifications.kind`` accepts ``new_messages``.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0011_messages"
down_revision = "0010_settings"
branch_labels = None
depends_on = None

OLD_KINDS = [
    "new_match", "recommendations", "invitation", "new_proposal", "daily_digest",
    "contract_funded", "payment_sent", "refund_issued", "invitation_accepted",
    "work_submitted", "contract_cancelled", "signup_confirmation", "account_exists",
    "password_reset", "password_changed",
    "email_change_confirm", "email_change_requested", "email_changed",
]  # fmt: skip
NEW_KINDS = [*OLD_KINDS, "new_messages"]


def _replace_kind_check(kinds: list[str]) -> None:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({values})"
        )


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("assistant_id", sa.Integer(), nullable=False),
        sa.Column("last_message_id", sa.Integer(), nullable=True),
        sa.Column("last_message_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("owner_read_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("assistant_read_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"],
            name=op.f("fk_conversations_task_id_tasks"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"],
            name=op.f("fk_conversations_owner_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assistant_id"], ["users.id"],
            name=op.f("fk_conversations_assistant_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "task_id", "assistant_id", name=op.f("uq_conversations_task_assistant")
        ),
    )  # fmt: skip
    op.create_index(op.f("ix_conversations_owner_id"), "conversations", ["owner_id"])
    op.create_index(op.f("ix_conversations_assistant_id"), "conversations", ["assistant_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"],
            name=op.f("fk_messages_sender_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )  # fmt: skip
    op.create_index(op.f("ix_messages_conversation_id_id"), "messages", ["conversation_id", "id"])
    op.create_index(
        op.f("ix_messages_sender_id_created_at"), "messages", ["sender_id", "created_at"]
    )
    op.create_table(
        "message_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"],
            name=op.f("fk_message_reports_message_id_messages"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"],
            name=op.f("fk_message_reports_reporter_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_reports")),
        sa.UniqueConstraint(
            "message_id", "reporter_id", name=op.f("uq_message_reports_message_reporter")
        ),
    )  # fmt: skip
    op.create_index(op.f("ix_message_reports_message_id"), "message_reports", ["message_id"])
    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    kinds = ", ".join(repr(k) for k in OLD_KINDS)
    op.execute(f"DELETE FROM notifications WHERE kind NOT IN ({kinds})")
    _replace_kind_check(OLD_KINDS)
    op.drop_table("message_reports")
    op.drop_table("messages")
    op.drop_table("conversations")
