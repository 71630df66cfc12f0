"""Notifications outbox and preferences, local mail outbox, stored matches, invitations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa
import marketplace.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Enum('instant', 'daily', 'off', name='notification_frequency', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('min_match_score', sa.Float(), nullable=False),
    sa.Column('unsubscribed_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('new_match', 'recommendations', 'invitation', 'new_proposal', 'daily_digest', name='notification_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('object_key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.Enum('instant', 'digest', name='notification_channel', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'digested', 'skipped', 'failed', name='notification_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('locked_until', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'kind', 'object_key', name='uq_notifications_user_kind_object')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['status', 'channel', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('assistant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assistant_id'], ['users.id'], name=op.f('fk_invitations_assistant_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_invitations_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('task_id', 'assistant_id', name='uq_invitations_task_assistant')
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_assistant_id'), ['assistant_id'], unique=False)

    op.create_table('local_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_local_emails_notification_id_notifications'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_emails')),
    sa.UniqueConstraint('notification_id', name=op.f('uq_local_emails_notification_id'))
    )
    op.create_table('matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('assistant_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('matcher_version', sa.String(length=32), nullable=False),
    sa.Column('ranked_for_task', sa.Boolean(), nullable=False),
    sa.Column('ranked_for_assistant', sa.Boolean(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assistant_id'], ['assistant_profiles.user_id'], name=op.f('fk_matches_assistant_id_assistant_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_matches_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matches')),
    sa.UniqueConstraint('task_id', 'assistant_id', name='uq_matches_task_assistant')
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index('ix_matches_assistant_score', ['assistant_id', 'score'], unique=False)
        batch_op.create_index('ix_matches_task_score', ['task_id', 'score'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_task_score')
        batch_op.drop_index('ix_matches_assistant_score')

    op.drop_table('matches')
    op.drop_table('local_emails')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_assistant_id'))

    op.drop_table('invitations')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index('ix_notifications_due')

    op.drop_table('notifications')
    op.drop_table('notification_preferences')
