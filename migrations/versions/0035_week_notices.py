"""Two more emails about hourly weeks, to the assistant.

Revision ID: 0035_week_notices
Revises: 0034_task_openings
Create Date: 2026-12-02

- ``notifications.kind`` accepts ``timesheet_disputed`` (the owner disputed entries of a
  week: which, and why; sent instead of ``timesheet_approved`` for such a week) and
  ``payout_held`` (the owner's payment for a week was disputed or refunded in Stripe, so its
  payout waits for Delegate's support).
"""

from alembic import op

revision = "0035_week_notices"
down_revision = "0034_task_openings"
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
    "time_dispute_settled", "settlement_charge_failed", "proposal_declined", "report_handled",
]  # fmt: skip
ADDED = ["timesheet_disputed", "payout_held"]
NEW_KINDS = [*OLD_KINDS, *ADDED]


def _in(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _kinds(kinds: list[str]) -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({_in(kinds)})"
        )


def upgrade() -> None:
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute(f"DELETE FROM notifications WHERE kind IN ({_in(ADDED)})")
    _kinds(OLD_KINDS)
