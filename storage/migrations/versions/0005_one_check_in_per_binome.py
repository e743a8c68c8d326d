"""one check-in per participant, binôme and period (a mentor with two mentees has one for each)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:30:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_constraint('uq_checkin_period', type_='unique')
        batch_op.create_unique_constraint('uq_checkin_period', ['participant_id', 'binome_id', 'period'])


def downgrade() -> None:
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_constraint('uq_checkin_period', type_='unique')
        batch_op.create_unique_constraint('uq_checkin_period', ['participant_id', 'period'])
