"""a mentor's background check: when verified, until when, by whom, when its expiry was announced

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-20 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('check_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('check_expires_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('check_by', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('check_warned_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.drop_column('check_warned_on')
        batch.drop_column('check_by')
        batch.drop_column('check_expires_on')
        batch.drop_column('check_on')
