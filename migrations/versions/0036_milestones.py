"""Fixed contracts in milestones: each part of the price delivered, approved and paid alone.

Revision ID: 0036_milestones
Revises: 0035_week_notices
Create Date: 2026-12-02

- ``milestones``: a fixed contract's parts (number, title, amount, its share of the fee, an
  optional due date, status, transfer). Every fixed contract made before this gets exactly
  one milestone, number 1, named after its task, for its whole total and fee, in its
  contract's state (funded, submitted, paid ...), with its timestamps and transfer: today's
  contract is the one-milestone case, and nothing about it is lost.
- ``submissions.milestone_id``: which milestone a delivery was for (not null); existing
  submissions belong to their contract's one milestone.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0036_milestones"
down_revision = "0035_week_notices"
branch_labels = None
depends_on = None

STATUSES = (
    "awaiting_funding", "funded", "submitted", "approved", "paid", "cancelled", "refunded",
)  # fmt: skip
TITLE_MAX = 120
ONE_WAITING = sa.text("answer IS NULL")


def upgrade() -> None:
    milestones = op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=TITLE_MAX), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                *STATUSES,
                name="milestone_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("transfer_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("approved_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("paid_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_milestones_positive_amount")),
        sa.CheckConstraint(
            "fee_cents >= 0 AND fee_cents <= amount_cents", name=op.f("ck_milestones_sane_fee")
        ),
        sa.CheckConstraint("number BETWEEN 1 AND 10", name=op.f("ck_milestones_sane_number")),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_milestones_contract_id_contracts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
        sa.UniqueConstraint("contract_id", "number", name="uq_milestones_contract_number"),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_milestones_transfer_id")),
    )
    _backfill(milestones)
    # Rebuilt on SQLite: its partial index is dropped first and made again after, as written.
    op.drop_index("uq_submissions_one_waiting", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("milestone_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE submissions SET milestone_id = (SELECT milestones.id FROM milestones"
        " WHERE milestones.contract_id = submissions.contract_id AND milestones.number = 1)"
    )
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("milestone_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_submissions_milestone_id_milestones"),
            "milestones",
            ["milestone_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(op.f("ix_submissions_milestone_id"), ["milestone_id"])
    _one_waiting()


def _one_waiting() -> None:
    op.create_index(
        "uq_submissions_one_waiting",
        "submissions",
        ["contract_id"],
        unique=True,
        sqlite_where=ONE_WAITING,
        postgresql_where=ONE_WAITING,
    )


def _backfill(milestones) -> None:
    contracts = sa.table(
        "contracts",
        sa.column("id", sa.Integer()),
        sa.column("task_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("status", sa.String()),
        sa.column("total_cents", sa.Integer()),
        sa.column("fee_cents", sa.Integer()),
        sa.column("transfer_id", sa.String()),
        sa.column("created_at", marketplace.db.UTCDateTime()),
        sa.column("submitted_at", marketplace.db.UTCDateTime()),
        sa.column("approved_at", marketplace.db.UTCDateTime()),
        sa.column("paid_at", marketplace.db.UTCDateTime()),
    )
    tasks = sa.table("tasks", sa.column("id", sa.Integer()), sa.column("title", sa.String()))
    c = contracts.c
    query = (
        sa.select(
            c.id,
            tasks.c.title,
            c.status,
            c.total_cents,
            c.fee_cents,
            c.transfer_id,
            c.created_at,
            c.submitted_at,
            c.approved_at,
            c.paid_at,
        )
        .join(tasks, tasks.c.id == c.task_id)
        .where(c.kind == "fixed")
        .order_by(c.id)
    )
    rows = [
        {
            "contract_id": contract_id,
            "number": 1,
            "title": (title or "The work")[:TITLE_MAX],
            "amount_cents": total,
            "fee_cents": fee,
            "due_on": None,
            # A fixed contract's statuses are the milestone's, value for value.
            "status": status,
            "transfer_id": transfer_id,
            "created_at": created_at,
            "submitted_at": submitted_at,
            "approved_at": approved_at,
            "paid_at": paid_at,
        }
        for (
            contract_id,
            title,
            status,
            total,
            fee,
            transfer_id,
            created_at,
            submitted_at,
            approved_at,
            paid_at,
        ) in op.get_bind().execute(query)
    ]
    if rows:
        op.bulk_insert(milestones, rows)


def downgrade() -> None:
    op.drop_index("uq_submissions_one_waiting", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index(op.f("ix_submissions_milestone_id"))
        batch.drop_constraint(op.f("fk_submissions_milestone_id_milestones"), type_="foreignkey")
        batch.drop_column("milestone_id")
    _one_waiting()
    op.drop_table("milestones")
