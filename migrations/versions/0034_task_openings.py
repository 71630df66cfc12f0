"""Task openings: how many assistants an owner wants on one task.

Revision ID: 0034_task_openings
Revises: 0033_report_queue
Create Date: 2026-12-02

- ``tasks.openings``: 1 for every existing task (each was hired at most once), between 1 and
  20. The task stays open to hires until that many of its contracts are live (not cancelled
  or refunded).
- ``timesheets.checkout_session_id``: the Checkout Session of the page an owner opened to pay a
  failed week, so it can be expired when they save a new card instead (nullable; the pages
  opened before this revision expire by themselves within a day).
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_task_openings"
down_revision = "0033_report_queue"
branch_labels = None
depends_on = None


CHECK = "openings BETWEEN 1 AND 20"


def upgrade() -> None:
    op.add_column("timesheets", sa.Column("checkout_session_id", sa.String(255), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: rebuilding ``tasks`` would drop its full-text triggers (0009).
        # SQLite adds a column with its own CHECK in place.
        op.execute(
            "ALTER TABLE tasks ADD COLUMN openings INTEGER DEFAULT '1' NOT NULL"
            f" CONSTRAINT ck_tasks_sane_openings CHECK ({CHECK})"
        )
        return
    op.add_column("tasks", sa.Column("openings", sa.Integer(), server_default="1", nullable=False))
    op.create_check_constraint(op.f("ck_tasks_sane_openings"), "tasks", CHECK)


def downgrade() -> None:
    op.drop_column("timesheets", "checkout_session_id")  # no constraint: in place on SQLite too
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tasks DROP COLUMN openings")  # SQLite 3.35+, in place
        return
    op.drop_constraint(op.f("ck_tasks_sane_openings"), "tasks", type_="check")
    op.drop_column("tasks", "openings")
