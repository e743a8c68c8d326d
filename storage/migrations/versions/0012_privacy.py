"""people's rights over their data: when a person was erased, when retention was announced

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12 10:00:00
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('retention_notice_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('erased_at', UTCDateTime(), nullable=True))
        batch.create_index('ix_participant_erased_at', ['erased_at'])


def downgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.drop_index('ix_participant_erased_at')
        batch.drop_column('erased_at')
        batch.drop_column('retention_notice_at')
