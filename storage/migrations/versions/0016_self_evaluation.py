"""self-evaluation against a competence framework: the competences, the rounds, the ratings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20 12:00:00
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'competence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('group', sa.String(length=80), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('programme_id', 'code', name='uq_competence_code'),
    )
    op.create_index('ix_competence_programme_id', 'competence', ['programme_id'])
    op.create_table(
        'self_evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('binome_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('opened_at', UTCDateTime(), nullable=False),
        sa.Column('mentee_done_at', UTCDateTime(), nullable=True),
        sa.Column('mentor_done_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['binome_id'], ['binome.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('binome_id', 'round', name='uq_self_evaluation_round'),
    )
    op.create_index('ix_self_evaluation_binome_id', 'self_evaluation', ['binome_id'])
    op.create_table(
        'competence_rating',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('evaluation_id', sa.Integer(), nullable=False),
        sa.Column('competence_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['competence_id'], ['competence.id']),
        sa.ForeignKeyConstraint(['evaluation_id'], ['self_evaluation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('evaluation_id', 'competence_id', 'role', name='uq_competence_rating'),
    )
    op.create_index('ix_competence_rating_evaluation_id', 'competence_rating', ['evaluation_id'])


def downgrade() -> None:
    op.drop_index('ix_competence_rating_evaluation_id', table_name='competence_rating')
    op.drop_table('competence_rating')
    op.drop_index('ix_self_evaluation_binome_id', table_name='self_evaluation')
    op.drop_table('self_evaluation')
    op.drop_index('ix_competence_programme_id', table_name='competence')
    op.drop_table('competence')
