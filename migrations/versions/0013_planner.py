"""The delegation planner: plans, their items, and the market behind their prices.

Revision ID: 0013_planner
Revises: 0012_operator
Create Date: 2026-12-01

- ``plans``: an owner's (or a visitor's, by session token) audit of their week.
- ``plan_items``: what fills that week, hours per week or per month, and the task it became.
- ``market_fits``: per catalogue (or typed-in) item, the assistants the matcher finds fit.
"""

from alembic import op
import sqlalchemy as sa
import marketplace.db


revision = "0013_planner"
down_revision = "0012_operator"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=60), nullable=False),
        sa.Column("assistant_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rate_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("work_start", sa.String(length=5), nullable=False),
        sa.Column("work_end", sa.String(length=5), nullable=False),
        sa.Column("hours_per_week", sa.Integer(), nullable=False),
        sa.Column("computed_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["users.id"],
            name=op.f("fk_market_fits_assistant_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_fits")),
        sa.UniqueConstraint("item_key", "assistant_id", name=op.f("uq_market_fits_item_key")),
    )
    with op.batch_alter_table("market_fits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_market_fits_assistant_id"), ["assistant_id"], unique=False
        )

    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("visitor_token", sa.String(length=64), nullable=True),
        sa.Column("hourly_worth_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "owner_id IS NOT NULL OR visitor_token IS NOT NULL", name=op.f("ck_plans_has_an_owner")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_plans_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("owner_id", name=op.f("uq_plans_owner_id")),
        sa.UniqueConstraint("visitor_token", name=op.f("uq_plans_visitor_token")),
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("catalogue_key", sa.String(length=40), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "inbox_calendar",
                "bookkeeping",
                "customer_support",
                "data_entry",
                "social_media",
                "travel",
                "research",
                "ecommerce",
                "writing",
                "other",
                name="task_category",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("skills", sa.String(length=300), nullable=False),
        sa.Column("needs_judgement", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column(
            "period",
            sa.Enum(
                "week",
                "month",
                name="plan_period",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("priced_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("overlap_hours", sa.Float(), nullable=True),
        sa.Column("overlap_zone", sa.String(length=64), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("hours > 0", name=op.f("ck_plan_items_hours_positive")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_items_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_plan_items_task_id_tasks"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_items")),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_items_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_items_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_items_task_id"))
        batch_op.drop_index(batch_op.f("ix_plan_items_plan_id"))

    op.drop_table("plan_items")
    op.drop_table("plans")
    with op.batch_alter_table("market_fits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_market_fits_assistant_id"))

    op.drop_table("market_fits")
