"""minors: the flag from the import (a minor column or a birth year), and when the legal guardian was informed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-20 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('minor', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('guardian_informed_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.drop_column('guardian_informed_on')
        batch.drop_column('minor')
