"""an index for the questions before the planned end (a programme's active binômes by planned end), and a
meeting's purpose (the closing interview)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_binome_programme_status_end', 'binome', ['programme_id', 'status', 'planned_end_on'])
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('purpose')
    op.drop_index('ix_binome_programme_status_end', table_name='binome')
