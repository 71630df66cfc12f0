"""Contracts, payout accounts, the money ledger and processed Stripe events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa
import marketplace.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('received_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    op.create_table('payout_accounts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sa.String(length=255), nullable=False),
    sa.Column('details_submitted', sa.Boolean(), nullable=False),
    sa.Column('payouts_enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payout_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_payout_accounts')),
    sa.UniqueConstraint('stripe_account_id', name=op.f('uq_payout_accounts_stripe_account_id'))
    )
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('assistant_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('rate_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('fee_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('awaiting_funding', 'funded', 'submitted', 'approved', 'paid', 'cancelled', 'refunded', name='contract_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('checkout_attempt', sa.Integer(), nullable=False),
    sa.Column('checkout_session_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('transfer_id', sa.String(length=255), nullable=True),
    sa.Column('refund_id', sa.String(length=255), nullable=True),
    sa.Column('last_payment_error', sa.Text(), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('funded_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('submitted_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('approved_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('paid_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('refunded_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint('hours > 0', name=op.f('ck_contracts_positive_hours')),
    sa.CheckConstraint('rate_cents > 0', name=op.f('ck_contracts_positive_rate')),
    sa.CheckConstraint('total_cents = hours * rate_cents AND fee_cents >= 0 AND fee_cents <= total_cents', name=op.f('ck_contracts_consistent_amounts')),
    sa.ForeignKeyConstraint(['assistant_id'], ['users.id'], name=op.f('fk_contracts_assistant_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_contracts_owner_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_contracts_proposal_id_proposals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_contracts_task_id_tasks'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('checkout_session_id', name=op.f('uq_contracts_checkout_session_id')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_contracts_payment_intent_id')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_contracts_proposal_id')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_contracts_refund_id')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_contracts_transfer_id'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_assistant_id'), ['assistant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_task_id'), ['task_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('charge', 'fee', 'transfer', 'refund', name='ledger_entry_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('stripe_object_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_ledger_entries_amount_not_negative')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_ledger_entries_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('kind', 'stripe_object_id', name='uq_ledger_entries_kind_object')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_contract_id'), ['contract_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_contract_id'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_task_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_owner_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_assistant_id'))

    op.drop_table('contracts')
    op.drop_table('payout_accounts')
    op.drop_table('stripe_events')
