"""a binôme's pause: since when, until when, and why (a code)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('binome', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('resume_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('pause_reason', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('binome', schema=None) as batch_op:
        batch_op.drop_column('pause_reason')
        batch_op.drop_column('resume_on')
        batch_op.drop_column('paused_on')
