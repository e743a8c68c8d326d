"""indexes for the tick's set queries: check-ins written ahead, recent misses, a pair's meetings by status

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SCHEDULED = "status = 'scheduled'"


def upgrade() -> None:
    op.create_index('ix_checkin_scheduled', 'checkin', ['binome_id', 'participant_id', 'due_at'],
                    sqlite_where=sa.text(SCHEDULED), postgresql_where=sa.text(SCHEDULED))
    op.create_index('ix_checkin_status_missed_at', 'checkin', ['status', 'missed_at'])
    op.create_index('ix_meeting_binome_status_start', 'meeting', ['binome_id', 'status', 'starts_at'])


def downgrade() -> None:
    op.drop_index('ix_meeting_binome_status_start', table_name='meeting')
    op.drop_index('ix_checkin_status_missed_at', table_name='checkin')
    op.drop_index('ix_checkin_scheduled', table_name='checkin')
