"""Job search reads title, skill names and description; title and skill hits rank first.

Revision ID: 0009_search
Revises: 0008_email
Create Date: 2026-12-01

``tasks.skill_names`` holds the task's skill names (kept by the Task model on every flush that
changes its skills) so that each database indexes one document per task without a join:

- SQLite: the FTS5 table ``tasks_fts`` (porter stemming) now has the columns title,
  skill_names, description; its triggers follow all three, and its bm25 weights rank a word in
  the title or a skill ten times a word in the description.
- PostgreSQL: a stored generated column ``tasks.search_vector`` (title and skills weight A,
  description weight B, English stemming) with a GIN index; pages read it, never recompute it.

Existing rows are filled in and indexed here.
"""

from alembic import op
import sqlalchemy as sa


revision = "0009_search"
down_revision = "0008_email"
branch_labels = None
depends_on = None

FILL_SKILL_NAMES = {
    "sqlite": """UPDATE tasks SET skill_names = coalesce((
        SELECT group_concat(name, ', ') FROM (
            SELECT skills.name AS name FROM task_skills JOIN skills ON skills.id = task_skills.skill_id
            WHERE task_skills.task_id = tasks.id ORDER BY lower(skills.name))), '')""",
    "postgresql": """UPDATE tasks SET skill_names = coalesce((
        SELECT string_agg(skills.name, ', ' ORDER BY lower(skills.name))
        FROM task_skills JOIN skills ON skills.id = task_skills.skill_id
        WHERE task_skills.task_id = tasks.id), '')""",
}

OLD_SQLITE_TRIGGERS = ("tasks_fts_insert", "tasks_fts_delete", "tasks_fts_update")

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE tasks_fts USING fts5(
        title, skill_names, description,
        content='tasks', content_rowid='id', tokenize='porter unicode61')""",
    """CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO tasks_fts(rowid, title, skill_names, description)
        VALUES (new.id, new.title, new.skill_names, new.description);
    END""",
    """CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
        INSERT INTO tasks_fts(tasks_fts, rowid, title, skill_names, description)
        VALUES ('delete', old.id, old.title, old.skill_names, old.description);
    END""",
    """CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, skill_names, description ON tasks
    BEGIN
        INSERT INTO tasks_fts(tasks_fts, rowid, title, skill_names, description)
        VALUES ('delete', old.id, old.title, old.skill_names, old.description);
        INSERT INTO tasks_fts(rowid, title, skill_names, description)
        VALUES (new.id, new.title, new.skill_names, new.description);
    END""",
    # The rank column orders by bm25 with these column weights from now on.
    "INSERT INTO tasks_fts(tasks_fts, rank) VALUES ('rank', 'bm25(10.0, 10.0, 1.0)')",
    "INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild')",
]

OLD_SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE tasks_fts USING fts5(
        title, description, content='tasks', content_rowid='id', tokenize='porter unicode61')""",
    """CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO tasks_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    """CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
        INSERT INTO tasks_fts(tasks_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    """CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks BEGIN
        INSERT INTO tasks_fts(tasks_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO tasks_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    "INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild')",
]

POSTGRES_SEARCH = [
    """ALTER TABLE tasks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', skill_names), 'A')
        || setweight(to_tsvector('english', description), 'B')) STORED""",
    "CREATE INDEX ix_tasks_search_vector ON tasks USING gin (search_vector)",
]

OLD_POSTGRES_SEARCH = [
    """CREATE INDEX ix_tasks_fts ON tasks
        USING gin (to_tsvector('english', title || ' ' || description))""",
]


def _drop_sqlite_search() -> None:
    for trigger in OLD_SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS tasks_fts")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_search()  # before the column: a table rebuild would drop the triggers
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tasks_fts")
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("skill_names", sa.Text(), server_default="", nullable=False))
    if dialect in FILL_SKILL_NAMES:
        op.execute(FILL_SKILL_NAMES[dialect])
    for statement in {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRES_SEARCH}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_search()
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tasks_search_vector")
        op.execute("ALTER TABLE tasks DROP COLUMN IF EXISTS search_vector")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("skill_names")
    for statement in {"sqlite": OLD_SQLITE_SEARCH, "postgresql": OLD_POSTGRES_SEARCH}.get(
        dialect, []
    ):
        op.execute(statement)
