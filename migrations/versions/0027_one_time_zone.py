"""One time zone per person: an assistant's profile zone becomes their account's.

Revision ID: 0027_one_time_zone
Revises: 0026_account_deletion
Create Date: 2026-12-01

An assistant had two zones: the account's (times shown to them, their timesheet days) and the
profile's (their working hours, the matcher's overlap). Where they differed, the profile's
wins: it is the one their working hours were written in. ``assistant_profiles.timezone`` goes;
``AssistantProfile.timezone`` now reads and writes ``users.timezone``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_one_time_zone"
down_revision = "0026_account_deletion"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE users SET timezone = (SELECT p.timezone FROM assistant_profiles p"
        " WHERE p.user_id = users.id)"
        " WHERE id IN (SELECT user_id FROM assistant_profiles)"
    )
    with op.batch_alter_table("assistant_profiles") as batch:
        batch.drop_column("timezone")


def downgrade() -> None:
    with op.batch_alter_table("assistant_profiles") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE assistant_profiles SET timezone = (SELECT u.timezone FROM users u"
        " WHERE u.id = assistant_profiles.user_id)"
    )
    with op.batch_alter_table("assistant_profiles") as batch:
        batch.alter_column("timezone", existing_type=sa.String(length=64), nullable=False)
