"""action plan, check-ins and alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:27:54.362917
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('awaited_text',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=True),
    sa.Column('since', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('participant_id')
    )
    op.create_table('checkin_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('ended_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkin_pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_pause_participant_id'), ['participant_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=False),
    sa.Column('about_id', sa.Integer(), nullable=True),
    sa.Column('signal', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('notified_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('renotified_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('escalated_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('snoozed_until', storage.models.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('cleared_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['about_id'], ['participant.id'], ),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['participant.id'], ),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], ),
    sa.ForeignKeyConstraint(['resolved_by'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_binome_id'), ['binome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_signal'), ['signal'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_status'), ['status'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('due_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('skipped_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('sent_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('snoozed_until', storage.models.UTCDateTime(), nullable=True),
    sa.Column('reminded_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('answered_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('completed_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('missed_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('mood', sa.Integer(), nullable=True),
    sa.Column('concern', sa.Boolean(), nullable=False),
    sa.Column('word', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('share_with_mentor', sa.Boolean(), nullable=False),
    sa.Column('share_word_with_mentor', sa.Boolean(), nullable=False),
    sa.Column('share_with_coordinator', sa.Boolean(), nullable=False),
    sa.Column('action_ids', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'period', name='uq_checkin_period')
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_binome_id'), ['binome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_status'), ['status'], unique=False)

    op.create_table('plan_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('blocked_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('changed_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('status_changed_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_binome_id'), ['binome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_action_status'), ['status'], unique=False)

    op.create_table('support_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('binome_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['binome_id'], ['binome.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_request_binome_id'), ['binome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_request_participant_id'), ['participant_id'], unique=False)

    op.create_table('checkin_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkin.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkin_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_answer_checkin_id'), ['checkin_id'], unique=False)

    op.create_table('plan_action_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('by', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('old', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('new', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['plan_action.id'], ),
    sa.ForeignKeyConstraint(['by'], ['participant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plan_action_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_change_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_action_change_at'), ['at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('plan_action_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_action_change_at'))
        batch_op.drop_index(batch_op.f('ix_plan_action_change_action_id'))

    op.drop_table('plan_action_change')
    with op.batch_alter_table('checkin_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_answer_checkin_id'))

    op.drop_table('checkin_answer')
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_request_participant_id'))
        batch_op.drop_index(batch_op.f('ix_support_request_binome_id'))

    op.drop_table('support_request')
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_action_status'))
        batch_op.drop_index(batch_op.f('ix_plan_action_binome_id'))

    op.drop_table('plan_action')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_status'))
        batch_op.drop_index(batch_op.f('ix_checkin_participant_id'))
        batch_op.drop_index(batch_op.f('ix_checkin_due_at'))
        batch_op.drop_index(batch_op.f('ix_checkin_binome_id'))

    op.drop_table('checkin')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_status'))
        batch_op.drop_index(batch_op.f('ix_alert_signal'))
        batch_op.drop_index(batch_op.f('ix_alert_programme_id'))
        batch_op.drop_index(batch_op.f('ix_alert_binome_id'))

    op.drop_table('alert')
    with op.batch_alter_table('checkin_pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_pause_participant_id'))

    op.drop_table('checkin_pause')
    op.drop_table('awaited_text')
