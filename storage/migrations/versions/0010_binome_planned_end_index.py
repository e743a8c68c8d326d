"""an index for the questions before the planned end: a programme's active binômes by planned end

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_binome_programme_status_end', 'binome', ['programme_id', 'status', 'planned_end_on'])


def downgrade() -> None:
    op.drop_index('ix_binome_programme_status_end', table_name='binome')
