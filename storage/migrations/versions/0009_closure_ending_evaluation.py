"""the end of a binôme: closure, answers before the end, evaluations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ending_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('planned_end_on', sa.Date(), nullable=False),
    sa.Column('asked_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('answered_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('word', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('word_shared', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('binome_id', 'participant_id', 'planned_end_on', name='uq_ending_answer')
    )
    with op.batch_alter_table('ending_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ending_answer_binome_id'), ['binome_id'], unique=False)

    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('sent_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('reminded_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('finished_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('word', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('word_shared', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_binome_id'), ['binome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_status'), ['status'], unique=False)

    with op.batch_alter_table('binome', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('proposed_outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('proposed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proposed_at', storage.models.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_binome_proposed_by', 'participant', ['proposed_by'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('binome', schema=None) as batch_op:
        batch_op.drop_constraint('fk_binome_proposed_by', type_='foreignkey')
        batch_op.drop_column('proposed_at')
        batch_op.drop_column('proposed_by')
        batch_op.drop_column('proposed_outcome')
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_status'))
        batch_op.drop_index(batch_op.f('ix_evaluation_programme_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_participant_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_binome_id'))

    op.drop_table('evaluation')
    with op.batch_alter_table('ending_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ending_answer_binome_id'))

    op.drop_table('ending_answer')
