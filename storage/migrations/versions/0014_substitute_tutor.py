"""the substitute tutor: a binôme's substitute, the mentor's periods away, a check-in pause from a later day

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-20 10:00:00
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('binome') as batch:
        batch.add_column(sa.Column('substitute_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_binome_substitute_id_participant', 'participant', ['substitute_id'], ['id'])
    with op.batch_alter_table('checkin_pause') as batch:
        batch.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
    op.create_table(
        'mentor_away',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('binome_id', sa.Integer(), nullable=False),
        sa.Column('mentor_id', sa.Integer(), nullable=False),
        sa.Column('substitute_id', sa.Integer(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['binome_id'], ['binome.id']),
        sa.ForeignKeyConstraint(['mentor_id'], ['participant.id']),
        sa.ForeignKeyConstraint(['substitute_id'], ['participant.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_mentor_away_mentor_id', 'mentor_away', ['mentor_id'])
    op.create_index('ix_mentor_away_binome_dates', 'mentor_away', ['binome_id', 'starts_on', 'ends_on'])


def downgrade() -> None:
    op.drop_index('ix_mentor_away_binome_dates', table_name='mentor_away')
    op.drop_index('ix_mentor_away_mentor_id', table_name='mentor_away')
    op.drop_table('mentor_away')
    with op.batch_alter_table('checkin_pause') as batch:
        batch.drop_column('starts_on')
    with op.batch_alter_table('binome') as batch:
        batch.drop_constraint('fk_binome_substitute_id_participant', type_='foreignkey')
        batch.drop_column('substitute_id')
