"""the talk after an unexcused absence: when it was asked, what the mentor said by button, when and who

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-20 11:00:00
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('absence') as batch:
        batch.add_column(sa.Column('talk_asked_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('talk_result', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('talk_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('talk_by', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_absence_talk_by_participant', 'participant', ['talk_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('absence') as batch:
        batch.drop_constraint('fk_absence_talk_by_participant', type_='foreignkey')
        batch.drop_column('talk_by')
        batch.drop_column('talk_at')
        batch.drop_column('talk_result')
        batch.drop_column('talk_asked_at')
