"""meetings and absences

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:52:44.207588
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('meeting_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('local_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('every_weeks', sa.Integer(), nullable=False),
    sa.Column('anchor', sa.Date(), nullable=False),
    sa.Column('place_kind', sa.String(length=16), nullable=False),
    sa.Column('place_detail', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_series_binome_id'), ['binome_id'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('place_kind', sa.String(length=16), nullable=False),
    sa.Column('place_detail', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('proposed_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('confirmed_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('outcome_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('outcome_by', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['outcome_by'], ['participant.id'], ),
    sa.ForeignKeyConstraint(['proposed_by'], ['participant.id'], ),
    sa.ForeignKeyConstraint(['replaces_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['series_id'], ['meeting_series.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_binome_id'), ['binome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_status'), ['status'], unique=False)

    op.create_table('absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=True),
    sa.Column('announced_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('announced_by', sa.Integer(), nullable=False),
    sa.Column('excused', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['announced_by'], ['participant.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'participant_id', name='uq_absence_once')
    )
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absence_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absence_participant_id'), ['participant_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absence_participant_id'))
        batch_op.drop_index(batch_op.f('ix_absence_meeting_id'))

    op.drop_table('absence')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_status'))
        batch_op.drop_index(batch_op.f('ix_meeting_starts_at'))
        batch_op.drop_index(batch_op.f('ix_meeting_binome_id'))

    op.drop_table('meeting')
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_series_binome_id'))

    op.drop_table('meeting_series')

