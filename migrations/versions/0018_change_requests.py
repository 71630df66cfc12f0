"""Fixed work: submissions with a note, change requests, automatic release.

Revision ID: 0018_change_requests
Revises: 0017_hourly_contracts
Create Date: 2026-12-01

- ``submissions``: each delivery of a fixed contract's work (number, note, when), the
  owner's answer (approved / changes requested, with a note) and when the work is released
  automatically without one. Contracts submitted before this get a submission 1 with an empty
  note: approved ones are answered "approved" at their approval; one still waiting for its
  owner gets the whole window from this upgrade (nobody told its owner of automatic release
  before), so nothing is released the moment this runs.
- ``notifications.kind`` accepts ``changes_requested``, ``release_reminder``,
  ``work_released``.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0018_change_requests"
down_revision = "0017_hourly_contracts"
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
]  # fmt: skip
NEW_KINDS = [*OLD_KINDS, "changes_requested", "release_reminder", "work_released"]
# AUTO_RELEASE_DAYS' default: the app's setting is not read by a migration.
LEGACY_WINDOW = timedelta(days=14)


def _in(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _kinds(kinds: list[str]) -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({_in(kinds)})"
        )


def upgrade() -> None:
    submissions = op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("submitted_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("release_due_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column(
            "answer",
            sa.Enum(
                "approved",
                "changes_requested",
                name="submission_answer",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answered_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("auto_released", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(answer IS NULL AND answered_at IS NULL AND NOT auto_released)"
            " OR (answer = 'approved' AND answered_at IS NOT NULL)"
            " OR (answer = 'changes_requested' AND answered_at IS NOT NULL"
            " AND answer_note IS NOT NULL AND NOT auto_released)",
            name=op.f("ck_submissions_consistent_answer"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_submissions_contract_id_contracts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("contract_id", "number", name="uq_submissions_contract_number"),
    )
    with op.batch_alter_table("submissions") as batch:
        batch.create_index("ix_submissions_release_due", ["answer", "release_due_at"])
        batch.create_index(
            "uq_submissions_one_waiting",
            ["contract_id"],
            unique=True,
            sqlite_where=sa.text("answer IS NULL"),
            postgresql_where=sa.text("answer IS NULL"),
        )
    _kinds(NEW_KINDS)
    _backfill(submissions)


def _backfill(submissions) -> None:
    contracts = sa.table(
        "contracts",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("status", sa.String()),
        sa.column("submitted_at", marketplace.db.UTCDateTime()),
        sa.column("approved_at", marketplace.db.UTCDateTime()),
    )
    now = datetime.now(UTC)
    rows = []
    for contract_id, status, submitted_at, approved_at in op.get_bind().execute(
        sa.select(
            contracts.c.id, contracts.c.status, contracts.c.submitted_at, contracts.c.approved_at
        ).where(contracts.c.kind == "fixed", contracts.c.submitted_at.is_not(None))
    ):
        waiting = status == "submitted"
        answered = approved_at if status in ("approved", "paid") else None
        rows.append(
            {
                "contract_id": contract_id,
                "number": 1,
                "note": "",
                "submitted_at": submitted_at,
                "release_due_at": (now if waiting else submitted_at) + LEGACY_WINDOW,
                "answer": "approved" if answered else None,
                "answer_note": None,
                "answered_at": answered,
                "auto_released": False,
            }
        )
    if rows:
        op.bulk_insert(submissions, rows)


def downgrade() -> None:
    op.execute(
        "DELETE FROM notifications WHERE kind IN "
        "('changes_requested', 'release_reminder', 'work_released')"
    )
    _kinds(OLD_KINDS)
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("uq_submissions_one_waiting")
        batch.drop_index("ix_submissions_release_due")
    op.drop_table("submissions")
