"""Talent search reads headline, skill names and bio; headline and skill hits rank first.

Revision ID: 0030_talent_search
Revises: 0029_message_attachments
Create Date: 2026-12-01

Owners search assistants' profiles the way assistants search jobs (0009_search), one document
per profile without a join:

- ``assistant_profiles.skill_names``: the profile's skill names, kept by the model on every
  flush that changes its skills; filled in here for existing profiles.
- SQLite: the FTS5 table ``assistant_profiles_fts`` (porter stemming) over headline,
  skill_names and bio, kept by triggers; bm25 weighs a headline or skill word ten times a
  word of the bio.
- PostgreSQL: a stored generated ``assistant_profiles.search_vector`` (headline and skills
  weight A, bio weight B, English stemming) with a GIN index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_talent_search"
down_revision = "0029_message_attachments"
branch_labels = None
depends_on = None

FILL_SKILL_NAMES = {
    "sqlite": """UPDATE assistant_profiles SET skill_names = coalesce((
        SELECT group_concat(name, ', ') FROM (
            SELECT skills.name AS name FROM assistant_skills
            JOIN skills ON skills.id = assistant_skills.skill_id
            WHERE assistant_skills.profile_id = assistant_profiles.user_id
            ORDER BY lower(skills.name))), '')""",
    "postgresql": """UPDATE assistant_profiles SET skill_names = coalesce((
        SELECT string_agg(skills.name, ', ' ORDER BY lower(skills.name))
        FROM assistant_skills JOIN skills ON skills.id = assistant_skills.skill_id
        WHERE assistant_skills.profile_id = assistant_profiles.user_id), '')""",
}

SQLITE_TRIGGERS = (
    "assistant_profiles_fts_insert",
    "assistant_profiles_fts_delete",
    "assistant_profiles_fts_update",
)

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE assistant_profiles_fts USING fts5(
        headline, skill_names, bio,
        content='assistant_profiles', content_rowid='user_id', tokenize='porter unicode61')""",
    """CREATE TRIGGER assistant_profiles_fts_insert AFTER INSERT ON assistant_profiles BEGIN
        INSERT INTO assistant_profiles_fts(rowid, headline, skill_names, bio)
        VALUES (new.user_id, new.headline, new.skill_names, new.bio);
    END""",
    """CREATE TRIGGER assistant_profiles_fts_delete AFTER DELETE ON assistant_profiles BEGIN
        INSERT INTO assistant_profiles_fts(assistant_profiles_fts, rowid, headline, skill_names, bio)
        VALUES ('delete', old.user_id, old.headline, old.skill_names, old.bio);
    END""",
    """CREATE TRIGGER assistant_profiles_fts_update
    AFTER UPDATE OF headline, skill_names, bio ON assistant_profiles BEGIN
        INSERT INTO assistant_profiles_fts(assistant_profiles_fts, rowid, headline, skill_names, bio)
        VALUES ('delete', old.user_id, old.headline, old.skill_names, old.bio);
        INSERT INTO assistant_profiles_fts(rowid, headline, skill_names, bio)
        VALUES (new.user_id, new.headline, new.skill_names, new.bio);
    END""",
    """INSERT INTO assistant_profiles_fts(assistant_profiles_fts, rank)
        VALUES ('rank', 'bm25(10.0, 10.0, 1.0)')""",
    "INSERT INTO assistant_profiles_fts(assistant_profiles_fts) VALUES ('rebuild')",
]

POSTGRES_SEARCH = [
    """ALTER TABLE assistant_profiles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', headline), 'A')
        || setweight(to_tsvector('english', skill_names), 'A')
        || setweight(to_tsvector('english', bio), 'B')) STORED""",
    """CREATE INDEX ix_assistant_profiles_search_vector
        ON assistant_profiles USING gin (search_vector)""",
]


def _drop_sqlite_search() -> None:
    for trigger in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS assistant_profiles_fts")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("assistant_profiles") as batch:
        batch.add_column(sa.Column("skill_names", sa.Text(), server_default="", nullable=False))
    if dialect in FILL_SKILL_NAMES:
        op.execute(FILL_SKILL_NAMES[dialect])
    for statement in {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRES_SEARCH}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_search()  # before the column: a table rebuild would drop the triggers
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_assistant_profiles_search_vector")
        op.execute("ALTER TABLE assistant_profiles DROP COLUMN IF EXISTS search_vector")
    with op.batch_alter_table("assistant_profiles") as batch:
        batch.drop_column("skill_names")
