"""the partner referent: who follows which binôme for the school or the training centre

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-20 15:00:00
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'binome_referent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('binome_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['binome_id'], ['binome.id']),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('binome_id', 'participant_id', name='uq_binome_referent'),
    )
    op.create_index('ix_binome_referent_binome_id', 'binome_referent', ['binome_id'])
    op.create_index('ix_binome_referent_participant_id', 'binome_referent', ['participant_id'])


def downgrade() -> None:
    op.drop_index('ix_binome_referent_participant_id', table_name='binome_referent')
    op.drop_index('ix_binome_referent_binome_id', table_name='binome_referent')
    op.drop_table('binome_referent')
