"""meeting place detail awaited

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:34:05.112647
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting_place_detail', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))




def downgrade() -> None:

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('awaiting_place_detail')


