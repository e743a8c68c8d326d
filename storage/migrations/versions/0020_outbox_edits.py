"""an outbox row may edit the message of an earlier row (the coordinator's card of a binôme, edited in place)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-21 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_message') as batch:
        batch.add_column(sa.Column('edits_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_outbound_message_edits_id_outbound_message', 'outbound_message',
                                 ['edits_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('outbound_message') as batch:
        batch.drop_constraint('fk_outbound_message_edits_id_outbound_message', type_='foreignkey')
        batch.drop_column('edits_id')
