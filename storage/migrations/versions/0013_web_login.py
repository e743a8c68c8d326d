"""the coordinator's page: one-time links for a desktop browser (/web)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 10:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.models import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_login',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('participant_id', sa.Integer(), nullable=False),
                    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('created_at', UTCDateTime(), nullable=False),
                    sa.Column('expires_at', UTCDateTime(), nullable=False),
                    sa.Column('used_at', UTCDateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('web_login') as batch:
        batch.create_index('ix_web_login_participant_id', ['participant_id'], unique=False)
        batch.create_index('ix_web_login_token_hash', ['token_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('web_login') as batch:
        batch.drop_index('ix_web_login_token_hash')
        batch.drop_index('ix_web_login_participant_id')
    op.drop_table('web_login')
