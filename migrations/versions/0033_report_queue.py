"""The report queue: reports of people, how operators closed reports, hidden messages.

Revision ID: 0033_report_queue
Revises: 0032_api_tokens
Create Date: 2026-12-02

- ``profile_reports``: somebody reported a person (their public profile, or an owner on a
  task page): a reason from a short list and optional words. One open report per reporter
  and person (a partial unique index); closed by an operator with an outcome.
- ``message_reports``: ``resolved_by_id`` and ``outcome`` (dismissed, removed, suspended).
- ``messages.removed_at``: an operator hid the message; both parties see a note instead.
- ``notifications.kind`` accepts ``report_handled`` (the reporter is told it was handled).
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0033_report_queue"
down_revision = "0032_api_tokens"
branch_labels = None
depends_on = None

OLD_KINDS = [
    "new_match", "recommendations", "invitation", "new_proposal", "daily_digest",
    "contract_funded", "payment_sent", "refund_issued", "invitation_accepted",
    "work_submitted", "contract_cancelled", "signup_confirmation", "account_exists",
    "password_reset", "password_changed",
    "email_change_confirm", "email_change_requested", "email_changed", "new_messages",
    "dispute_resolved", "review_requested", "review_received",
    "timesheet_ready", "review_closing", "timesheet_approved", "charge_failed",
    "timesheet_paid", "timesheet_charged", "contract_paused", "contract_ended",
    "changes_requested", "release_reminder", "work_released",
    "time_dispute_settled", "settlement_charge_failed", "proposal_declined",
]  # fmt: skip
NEW_KINDS = [*OLD_KINDS, "report_handled"]
OUTCOMES = ("dismissed", "removed", "suspended")


def _in(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _kinds(kinds: list[str]) -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({_in(kinds)})"
        )


def _outcome(name: str) -> sa.Enum:
    return sa.Enum(*OUTCOMES, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table(
        "profile_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", _outcome("profile_report_outcome"), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_profile_reports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_profile_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"],
            name=op.f("fk_profile_reports_resolved_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_reports")),
    )  # fmt: skip
    op.create_index(op.f("ix_profile_reports_user_id"), "profile_reports", ["user_id"])
    open_only = sa.text("resolved_at IS NULL")
    op.create_index(
        "uq_profile_reports_open",
        "profile_reports",
        ["user_id", "reporter_id"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    with op.batch_alter_table("message_reports") as batch:
        batch.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("outcome", _outcome("message_report_outcome"), nullable=True))
        batch.create_foreign_key(
            op.f("fk_message_reports_resolved_by_id_users"),
            "users",
            ["resolved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("removed_at", marketplace.db.UTCDateTime(), nullable=True))
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'report_handled'")
    _kinds(OLD_KINDS)
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("removed_at")
    with op.batch_alter_table("message_reports") as batch:
        batch.drop_constraint(op.f("fk_message_reports_resolved_by_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_message_reports_message_report_outcome"), type_="check")
        batch.drop_column("outcome")
        batch.drop_column("resolved_by_id")
    op.drop_index("uq_profile_reports_open", table_name="profile_reports")
    op.drop_index(op.f("ix_profile_reports_user_id"), table_name="profile_reports")
    op.drop_table("profile_reports")
