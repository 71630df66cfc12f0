"""Initial schema: users, assistant profiles, skills, tasks, proposals.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Also creates the job-search structures that have no model: an FTS5 table kept in step by
triggers on SQLite, and a GIN expression index on PostgreSQL (see marketplace/tasks/search.py).
"""

from alembic import op
import sqlalchemy as sa
import marketplace.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skills')),
    sa.UniqueConstraint('key', name=op.f('uq_skills_key'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('owner', 'assistant', name='user_role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('assistant_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('headline', sa.String(length=120), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('hourly_rate_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('work_start', sa.Time(), nullable=False),
    sa.Column('work_end', sa.Time(), nullable=False),
    sa.Column('hours_per_week', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Float(), nullable=True),
    sa.Column('review_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('hourly_rate_cents > 0', name=op.f('ck_assistant_profiles_positive_rate')),
    sa.CheckConstraint('hours_per_week BETWEEN 1 AND 80', name=op.f('ck_assistant_profiles_sane_hours')),
    sa.CheckConstraint('review_count >= 0', name=op.f('ck_assistant_profiles_review_count_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assistant_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_assistant_profiles'))
    )
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('inbox_calendar', 'bookkeeping', 'customer_support', 'data_entry', 'social_media', 'travel', 'research', 'ecommerce', 'writing', 'other', name='task_category', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('engagement', sa.Enum('one_off', 'recurring', name='task_engagement', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('estimated_hours', sa.Integer(), nullable=True),
    sa.Column('hours_per_week', sa.Integer(), nullable=True),
    sa.Column('budget_type', sa.Enum('fixed', 'hourly', name='task_budget_type', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('budget_cents', sa.Integer(), nullable=True),
    sa.Column('max_hourly_rate_cents', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('overlap_hours', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('open', 'hired', 'completed', 'closed', 'cancelled', name='task_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('closed_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("(budget_type = 'fixed' AND budget_cents > 0) OR (budget_type = 'hourly' AND max_hourly_rate_cents > 0)", name=op.f('ck_tasks_budget_is_positive')),
    sa.CheckConstraint("(engagement = 'one_off' AND estimated_hours IS NOT NULL) OR (engagement = 'recurring' AND hours_per_week IS NOT NULL)", name=op.f('ck_tasks_engagement_has_hours')),
    sa.CheckConstraint('overlap_hours BETWEEN 0 AND 12', name=op.f('ck_tasks_sane_overlap')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_tasks_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_tasks_status_created', ['status', 'created_at'], unique=False)

    op.create_table('assistant_skills',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['assistant_profiles.user_id'], name=op.f('fk_assistant_skills_profile_id_assistant_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_assistant_skills_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'skill_id', name=op.f('pk_assistant_skills'))
    )
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('assistant_id', sa.Integer(), nullable=False),
    sa.Column('cover_note', sa.Text(), nullable=False),
    sa.Column('proposed_rate_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'withdrawn', 'declined', 'accepted', name='proposal_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('proposed_rate_cents > 0', name=op.f('ck_proposals_positive_rate')),
    sa.ForeignKeyConstraint(['assistant_id'], ['users.id'], name=op.f('fk_proposals_assistant_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_proposals_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('task_id', 'assistant_id', name='uq_proposals_task_assistant')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_assistant_id'), ['assistant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_task_id'), ['task_id'], unique=False)

    op.create_table('task_skills',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_task_skills_skill_id_skills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_skills_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'skill_id', name=op.f('pk_task_skills'))
    )
    _create_search()


def downgrade() -> None:
    _drop_search()
    op.drop_table('task_skills')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_task_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_assistant_id'))

    op.drop_table('proposals')
    op.drop_table('assistant_skills')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_created')
        batch_op.drop_index(batch_op.f('ix_tasks_owner_id'))

    op.drop_table('tasks')
    op.drop_table('assistant_profiles')
    op.drop_table('users')
    op.drop_table('skills')


SQLITE_SEARCH = [
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
]

POSTGRES_SEARCH = [
    """CREATE INDEX ix_tasks_fts ON tasks
        USING gin (to_tsvector('english', title || ' ' || description))""",
]


def _create_search() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRES_SEARCH}.get(dialect, []):
        op.execute(statement)


def _drop_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("tasks_fts_insert", "tasks_fts_delete", "tasks_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS tasks_fts")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tasks_fts")
