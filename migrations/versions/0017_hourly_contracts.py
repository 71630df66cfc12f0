"""Hourly contracts: weekly limits, timesheets and their days of work.

Revision ID: 0017_hourly_contracts
Revises: 0016_reviews
Create Date: 2026-12-01

- ``contracts.kind`` ('fixed' for every existing row), ``fee_bps``, ``ends_on``,
  ``paused_at``, ``ended_at``; statuses ``active``, ``paused``, ``ended``; an hourly
  contract has no total of its own (its weeks do).
- ``timesheets`` (one per contract and week) and ``time_entries``.
- ``ledger_entries.timesheet_id`` (nullable): the week a movement paid for.
- ``notifications.kind`` accepts the timesheet and hourly-contract kinds.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0017_hourly_contracts"
down_revision = "0016_reviews"
branch_labels = None
depends_on = None

OLD_STATUSES = [
    "awaiting_funding", "funded", "submitted", "approved", "paid", "cancelled", "refunded",
]  # fmt: skip
NEW_STATUSES = [*OLD_STATUSES, "active", "paused", "ended"]
OLD_KINDS = [
    "new_match", "recommendations", "invitation", "new_proposal", "daily_digest",
    "contract_funded", "payment_sent", "refund_issued", "invitation_accepted",
    "work_submitted", "contract_cancelled", "signup_confirmation", "account_exists",
    "password_reset", "password_changed",
    "email_change_confirm", "email_change_requested", "email_changed", "new_messages",
    "dispute_resolved", "review_requested", "review_received",
]  # fmt: skip
NEW_KINDS = [
    *OLD_KINDS, "timesheet_ready", "review_closing", "timesheet_approved", "charge_failed",
    "timesheet_paid", "timesheet_charged", "contract_paused", "contract_ended",
]  # fmt: skip
OLD_AMOUNTS = "total_cents = hours * rate_cents AND fee_cents >= 0 AND fee_cents <= total_cents"
NEW_AMOUNTS = (
    "(kind = 'fixed' AND total_cents = hours * rate_cents AND fee_cents >= 0"
    " AND fee_cents <= total_cents)"
    " OR (kind = 'hourly' AND total_cents = 0 AND fee_cents = 0 AND fee_bps IS NOT NULL)"
)
TIMESHEET_STATUSES = [
    "open", "in_review", "approved", "charge_failed", "charged", "paid", "nothing_due",
]  # fmt: skip


def _in(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _contracts(statuses: list[str], amounts: str, batch) -> None:
    batch.drop_constraint(op.f("ck_contracts_contract_status"), type_="check")
    batch.create_check_constraint(
        op.f("ck_contracts_contract_status"), f"status IN ({_in(statuses)})"
    )
    batch.drop_constraint(op.f("ck_contracts_consistent_amounts"), type_="check")
    batch.create_check_constraint(op.f("ck_contracts_consistent_amounts"), amounts)


def _kinds(kinds: list[str]) -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({_in(kinds)})"
        )


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "fixed",
                    "hourly",
                    name="contract_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                server_default="fixed",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("fee_bps", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("paused_at", marketplace.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("ended_at", marketplace.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("contracts") as batch:
        _contracts(NEW_STATUSES, NEW_AMOUNTS, batch)
    op.create_table(
        "timesheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *TIMESHEET_STATUSES,
                name="timesheet_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("closes_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("review_due_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("approved_minutes", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("fee_cents", sa.Integer(), nullable=True),
        sa.Column("auto_approved", sa.Boolean(), nullable=False),
        sa.Column("approved_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("charge_attempt", sa.Integer(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("charge_id", sa.String(length=255), nullable=True),
        sa.Column("charged_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("failed_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("last_payment_error", sa.Text(), nullable=True),
        sa.Column("failed_payment_method", sa.String(length=255), nullable=True),
        sa.Column("on_session_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("checkout_attempt", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.String(length=255), nullable=True),
        sa.Column("payout_hold", sa.Text(), nullable=True),
        sa.Column("paid_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "amount_cents IS NULL OR (amount_cents >= 0 AND fee_cents >= 0"
            " AND fee_cents <= amount_cents)",
            name=op.f("ck_timesheets_consistent_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_timesheets_contract_id_contracts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timesheets")),
        sa.UniqueConstraint("contract_id", "week_start", name="uq_timesheets_contract_week"),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_timesheets_payment_intent_id")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_timesheets_transfer_id")),
    )
    with op.batch_alter_table("timesheets") as batch:
        batch.create_index(batch.f("ix_timesheets_contract_id"), ["contract_id"])
        batch.create_index(batch.f("ix_timesheets_status"), ["status"])
        batch.create_index(batch.f("ix_timesheets_closes_at"), ["closes_at"])
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timesheet_id", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("memo", sa.String(length=300), nullable=False),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "minutes BETWEEN 1 AND 1440", name=op.f("ck_time_entries_minutes_in_a_day")
        ),
        sa.ForeignKeyConstraint(
            ["timesheet_id"],
            ["timesheets.id"],
            name=op.f("fk_time_entries_timesheet_id_timesheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    with op.batch_alter_table("time_entries") as batch:
        batch.create_index(batch.f("ix_time_entries_timesheet_id"), ["timesheet_id"])
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("timesheet_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_ledger_entries_timesheet_id"), ["timesheet_id"])
        batch.create_foreign_key(
            batch.f("fk_ledger_entries_timesheet_id_timesheets"),
            "timesheets",
            ["timesheet_id"],
            ["id"],
        )
    _kinds(NEW_KINDS)


def downgrade() -> None:
    _kinds(OLD_KINDS)
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_constraint(
            batch.f("fk_ledger_entries_timesheet_id_timesheets"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_ledger_entries_timesheet_id"))
        batch.drop_column("timesheet_id")
    hourly = op.get_bind().scalar(sa.text("SELECT count(*) FROM contracts WHERE kind = 'hourly'"))
    if hourly:
        # Their money records name them: settle or export them before going back.
        raise RuntimeError(f"{hourly} hourly contracts exist; this downgrade would lose them")
    op.drop_table("time_entries")
    op.drop_table("timesheets")
    with op.batch_alter_table("contracts") as batch:
        _contracts(OLD_STATUSES, OLD_AMOUNTS, batch)
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("ended_at")
        batch.drop_column("paused_at")
        batch.drop_column("ends_on")
        batch.drop_column("fee_bps")
        batch.drop_constraint(op.f("ck_contracts_contract_kind"), type_="check")
        batch.drop_column("kind")
