"""Proposals, handled: the owner's short list and declines, the assistant's edits.

Revision ID: 0031_proposal_handling
Revises: 0030_talent_search
Create Date: 2026-12-01

- ``proposals``: ``shortlisted_at`` (on the owner's short list since), ``edited_at`` (the
  assistant's last change of note or rate, shown to the owner), ``declined_at`` and
  ``decline_reason`` (the owner's optional words, shown to the assistant). How often a
  proposal was sent is the existing ``revision``; it may be sent again once.
- ``notifications.kind`` accepts ``proposal_declined`` (the assistant is told).
- ``match_events.kind`` accepts ``shortlist`` and ``decline``, what the owner did with a
  proposal, for the matcher to learn from.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0031_proposal_handling"
down_revision = "0030_talent_search"
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
    "time_dispute_settled", "settlement_charge_failed",
]  # fmt: skip
NEW_KINDS = [*OLD_KINDS, "proposal_declined"]
OLD_EVENT_KINDS = ["impression", "invite", "proposal", "hire", "review"]
NEW_EVENT_KINDS = [*OLD_EVENT_KINDS, "shortlist", "decline"]


def _in(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _check(table: str, name: str, kinds: list[str]) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch.create_check_constraint(op.f(f"ck_{table}_{name}"), f"kind IN ({_in(kinds)})")


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("shortlisted_at", marketplace.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("edited_at", marketplace.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("declined_at", marketplace.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("decline_reason", sa.Text(), nullable=True))
    _check("notifications", "notification_kind", NEW_KINDS)
    _check("match_events", "match_event_kind", NEW_EVENT_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM match_events WHERE kind IN ('shortlist', 'decline')")
    _check("match_events", "match_event_kind", OLD_EVENT_KINDS)
    op.execute("DELETE FROM notifications WHERE kind = 'proposal_declined'")
    _check("notifications", "notification_kind", OLD_KINDS)
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("decline_reason")
        batch.drop_column("declined_at")
        batch.drop_column("edited_at")
        batch.drop_column("shortlisted_at")
