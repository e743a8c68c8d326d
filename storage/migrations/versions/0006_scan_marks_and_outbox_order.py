"""what the scan and the sender need to find their work without reading everything

Binômes carry a dirty mark and the moment their warning signs can next change with time alone; outbox
rows carry a priority and a claim, and a partial index over the rows still to send.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:40:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PENDING = "sent_at IS NULL AND dropped_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('binome', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signals_dirty', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('signals_due_at', storage.models.UTCDateTime(), nullable=True))
    op.create_index('ix_binome_signals_due', 'binome', ['status', 'signals_due_at'])
    op.create_index('ix_binome_signals_dirty', 'binome', ['id'], sqlite_where=sa.text('signals_dirty'),
                    postgresql_where=sa.text('signals_dirty'))
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', storage.models.UTCDateTime(), nullable=True))
    op.create_index('ix_outbound_message_pending', 'outbound_message', ['priority', 'due_at', 'id'],
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))


def downgrade() -> None:
    op.drop_index('ix_outbound_message_pending', table_name='outbound_message')
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('priority')
    op.drop_index('ix_binome_signals_dirty', table_name='binome')
    op.drop_index('ix_binome_signals_due', table_name='binome')
    with op.batch_alter_table('binome', schema=None) as batch_op:
        batch_op.drop_column('signals_due_at')
        batch_op.drop_column('signals_dirty')
