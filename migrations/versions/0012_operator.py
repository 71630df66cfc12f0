"""The operator console: operators, suspensions, dispute resolutions and the audit log.

Revision ID: 0012_operator
Revises: 0011_messages
Create Date: 2026-12-01

- ``users.is_operator`` (false for everyone; `flask operator grant EMAIL` sets it) and
  ``users.suspended_at`` (nullable).
- ``contracts.resolution_started_at`` (nullable): an operator is settling the contract.
- ``stripe_events.contract_id`` (nullable, no foreign key): the contract an event was about.
- ``audit_log``: append-only; on PostgreSQL a trigger refuses UPDATE and DELETE.
- ``dispute_resolutions``: one per disputed subject.
- ``notifications.kind`` accepts ``dispute_resolved``.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0012_operator"
down_revision = "0011_messages"
branch_labels = None
depends_on = None

OLD_KINDS = [
    "new_match", "recommendations", "invitation", "new_proposal", "daily_digest",
    "contract_funded", "payment_sent", "refund_issued", "invitation_accepted",
    "work_submitted", "contract_cancelled", "signup_confirmation", "account_exists",
    "password_reset", "password_changed",
    "email_change_confirm", "email_change_requested", "email_changed", "new_messages",
]  # fmt: skip
NEW_KINDS = [*OLD_KINDS, "dispute_resolved"]

APPEND_ONLY = """
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
"""


def _replace_kind_check(kinds: list[str]) -> None:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({values})"
        )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("is_operator", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("suspended_at", marketplace.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(
            sa.Column("resolution_started_at", marketplace.db.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("stripe_events") as batch:
        batch.add_column(sa.Column("contract_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_stripe_events_contract_id"), ["contract_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name=op.f("fk_audit_log_operator_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"])
    op.create_index(op.f("ix_audit_log_operator_id"), "audit_log", ["operator_id"])
    op.create_table(
        "dispute_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "release",
                "refund",
                name="resolution_outcome",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("refund_cents", sa.Integer(), nullable=False),
        sa.Column("transfer_cents", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "settling",
                "settled",
                name="resolution_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("refund_id", sa.String(length=255), nullable=True),
        sa.Column("transfer_id", sa.String(length=255), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("settled_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "refund_cents >= 0 AND transfer_cents >= 0",
            name=op.f("ck_dispute_resolutions_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_dispute_resolutions_contract_id_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name=op.f("fk_dispute_resolutions_operator_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_resolutions")),
        sa.UniqueConstraint("subject_type", "subject_id", name="uq_dispute_resolutions_subject"),
    )
    op.create_index(
        op.f("ix_dispute_resolutions_contract_id"), "dispute_resolutions", ["contract_id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)
    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    kinds = ", ".join(repr(k) for k in OLD_KINDS)
    op.execute(f"DELETE FROM notifications WHERE kind NOT IN ({kinds})")
    _replace_kind_check(OLD_KINDS)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_is_append_only()")
    op.drop_index(op.f("ix_dispute_resolutions_contract_id"), table_name="dispute_resolutions")
    op.drop_table("dispute_resolutions")
    op.drop_index(op.f("ix_audit_log_operator_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_created_at"), table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("stripe_events") as batch:
        batch.drop_index(batch.f("ix_stripe_events_contract_id"))
        batch.drop_column("contract_id")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("resolution_started_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("suspended_at")
        batch.drop_column("is_operator")
