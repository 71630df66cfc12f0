"""Operators settle disputed timesheet entries: pay for all or part of the time, or uphold.

Revision ID: 0028_timesheet_disputes
Revises: 0027_one_time_zone
Create Date: 2026-12-01

- ``timesheet_dispute_settlements``: an operator's decision on a week's disputed time (one
  entry, or all of the week's undecided ones): pay for some minutes (charged to the owner's
  saved card at the contract's rate, the assistant paid their share less the fee fixed at
  hire) or uphold (nothing charged); the note both parties are told, and how far the money
  has moved (charge attempt, PaymentIntent, charge, transfer, last error).
- ``time_entries.settlement_id`` (nullable): the decision that settled a disputed entry, set
  once by the compare-and-set that claims it, so two operators cannot both decide it.
- ``notifications.kind`` accepts ``time_dispute_settled`` and
  ``settlement_charge_failed``.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0028_timesheet_disputes"
down_revision = "0027_one_time_zone"
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
]  # fmt: skip
NEW_KINDS = [*OLD_KINDS, "time_dispute_settled", "settlement_charge_failed"]


def _in(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _kinds(kinds: list[str]) -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({_in(kinds)})"
        )


def upgrade() -> None:
    op.create_table(
        "timesheet_dispute_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timesheet_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "pay",
                "uphold",
                name="settlement_outcome",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "charging",
                "charge_failed",
                "charged",
                "settled",
                name="settlement_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("charge_attempt", sa.Integer(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("charge_id", sa.String(length=255), nullable=True),
        sa.Column("transfer_id", sa.String(length=255), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("charged_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("settled_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "minutes >= 0 AND amount_cents >= 0 AND fee_cents >= 0 AND fee_cents <= amount_cents"
            " AND (outcome = 'pay' OR (minutes = 0 AND amount_cents = 0))",
            name=op.f("ck_timesheet_dispute_settlements_consistent_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["timesheet_id"],
            ["timesheets.id"],
            name=op.f("fk_timesheet_dispute_settlements_timesheet_id_timesheets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name=op.f("fk_timesheet_dispute_settlements_operator_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timesheet_dispute_settlements")),
        sa.UniqueConstraint(
            "payment_intent_id", name=op.f("uq_timesheet_dispute_settlements_payment_intent_id")
        ),
        sa.UniqueConstraint(
            "transfer_id", name=op.f("uq_timesheet_dispute_settlements_transfer_id")
        ),
    )
    with op.batch_alter_table("timesheet_dispute_settlements") as batch:
        batch.create_index(
            batch.f("ix_timesheet_dispute_settlements_timesheet_id"), ["timesheet_id"]
        )
        batch.create_index(batch.f("ix_timesheet_dispute_settlements_status"), ["status"])
    with op.batch_alter_table("time_entries") as batch:
        batch.add_column(sa.Column("settlement_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_time_entries_settlement_id"), ["settlement_id"])
        batch.create_foreign_key(
            batch.f("fk_time_entries_settlement_id_timesheet_dispute_settlements"),
            "timesheet_dispute_settlements",
            ["settlement_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute(
        "DELETE FROM notifications WHERE kind IN "
        "('time_dispute_settled', 'settlement_charge_failed')"
    )
    _kinds(OLD_KINDS)
    with op.batch_alter_table("time_entries") as batch:
        batch.drop_constraint(
            batch.f("fk_time_entries_settlement_id_timesheet_dispute_settlements"),
            type_="foreignkey",
        )
        batch.drop_index(batch.f("ix_time_entries_settlement_id"))
        batch.drop_column("settlement_id")
    with op.batch_alter_table("timesheet_dispute_settlements") as batch:
        batch.drop_index(batch.f("ix_timesheet_dispute_settlements_status"))
        batch.drop_index(batch.f("ix_timesheet_dispute_settlements_timesheet_id"))
    op.drop_table("timesheet_dispute_settlements")
