"""the optional gender of a participant (the import's `gender` column: f, m, x), for the programme's indicators

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('gender', sa.String(length=1), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.drop_column('gender')
