"""Reviews: each party of an ended contract rates the other, double-blind.

Revision ID: 0016_reviews
Revises: 0015_saved_cards
Create Date: 2026-12-02

- ``reviews``: one per (contract, side), rating 1-5, words, when it becomes visible to the
  other party (``visible_from``) and when that reveal was acted on (``revealed_at``).
- ``notifications.kind`` accepts ``review_requested`` and ``review_received``.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0016_reviews"
down_revision = "0015_saved_cards"
branch_labels = None
depends_on = None

OLD_KINDS = [
    "new_match", "recommendations", "invitation", "new_proposal", "daily_digest",
    "contract_funded", "payment_sent", "refund_issued", "invitation_accepted",
    "work_submitted", "contract_cancelled", "signup_confirmation", "account_exists",
    "password_reset", "password_changed",
    "email_change_confirm", "email_change_requested", "email_changed", "new_messages",
    "dispute_resolved",
]  # fmt: skip
NEW_KINDS = [*OLD_KINDS, "review_requested", "review_received"]


def _replace_kind_check(kinds: list[str]) -> None:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_notification_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notifications_notification_kind"), f"kind IN ({values})"
        )


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column(
            "author_side",
            sa.Enum(
                "owner",
                "assistant",
                name="review_side",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("visible_from", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("revealed_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_one_to_five")),
        sa.CheckConstraint("author_id <> subject_id", name=op.f("ck_reviews_not_about_oneself")),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_reviews_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_reviews_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["users.id"],
            name=op.f("fk_reviews_subject_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("contract_id", "author_side", name="uq_reviews_contract_side"),
    )
    op.create_index(op.f("ix_reviews_author_id"), "reviews", ["author_id"])
    op.create_index("ix_reviews_subject_visible", "reviews", ["subject_id", "visible_from"])
    op.create_index("ix_reviews_unrevealed", "reviews", ["revealed_at", "visible_from"])
    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    kinds = ", ".join(repr(k) for k in OLD_KINDS)
    op.execute(f"DELETE FROM notifications WHERE kind NOT IN ({kinds})")
    _replace_kind_check(OLD_KINDS)
    op.drop_index("ix_reviews_unrevealed", table_name="reviews")
    op.drop_index("ix_reviews_subject_visible", table_name="reviews")
    op.drop_index(op.f("ix_reviews_author_id"), table_name="reviews")
    op.drop_table("reviews")
