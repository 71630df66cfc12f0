"""API tokens: personal access tokens for the JSON API under /api/v1.

Revision ID: 0032_api_tokens
Revises: 0031_proposal_handling
Create Date: 2026-12-01

- ``api_tokens``: one row per token a person created on the settings page: a name, a scope
  (read, or read and write), when it expires, when it was last used, when it was revoked. The
  secret is stored only as its SHA-256 (unique: the lookup of every API request), with its
  first characters (``prefix``) to tell tokens apart in lists.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0032_api_tokens"
down_revision = "0031_proposal_handling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "read",
                "read_write",
                name="api_token_scope",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", marketplace.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", marketplace.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_api_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_tokens_secret_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
