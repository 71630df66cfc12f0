"""Server-side log-in sessions (revocable, with an absolute lifetime) and the log-in attempts
behind the per-account limit.

Revision ID: 0007_auth
Revises: 0006_input
Create Date: 2026-12-01

Two new tables, nothing else changes. Cookies minted before this revision carry no session
token, so everybody logs in once more after the upgrade.
"""

from alembic import op
import sqlalchemy as sa
import marketplace.db


revision = '0007_auth'
down_revision = '0006_input'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_account_key_created_at', ['account_key', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_created_at'), ['created_at'], unique=False)

    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))

    op.drop_table('login_sessions')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_created_at'))
        batch_op.drop_index('ix_login_attempts_account_key_created_at')

    op.drop_table('login_attempts')
