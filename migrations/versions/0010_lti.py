"""integrations: LTI platforms, learner accounts, launches, handshake values, webhooks and
the log of results sent out

Revision ID: lti
Revises: frac
"""
from alembic import op
import sqlalchemy as sa


revision = "lti"
down_revision = "frac"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_launch_value',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_lti_launch_value'))
    )
    with op.batch_alter_table('lti_launch_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_launch_value_expires_at'), ['expires_at'], unique=False)

    op.create_table('lti_platform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('auth_login_url', sa.String(length=500), nullable=False),
    sa.Column('auth_token_url', sa.String(length=500), nullable=False),
    sa.Column('auth_audience', sa.String(length=500), nullable=True),
    sa.Column('key_set_url', sa.String(length=500), nullable=True),
    sa.Column('key_set', sa.JSON(), nullable=True),
    sa.Column('deployment_ids', sa.JSON(), nullable=False),
    sa.Column('link_by_email', sa.Boolean(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_lti_platform_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_lti_platform_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_platform')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_lti_platform_issuer_client_id'))
    )
    op.create_table('webhook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_webhook_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_webhook_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook'))
    )
    op.create_table('lti_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], name=op.f('fk_lti_account_platform_id_lti_platform')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_lti_account_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_account')),
    sa.UniqueConstraint('platform_id', 'subject', name=op.f('uq_lti_account_platform_id_subject'))
    )
    with op.batch_alter_table('lti_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_account_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_account_user_id'), ['user_id'], unique=False)

    op.create_table('lti_launch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=True),
    sa.Column('lineitem_url', sa.String(length=1000), nullable=True),
    sa.Column('ags_scopes', sa.JSON(), nullable=False),
    sa.Column('launched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_lti_launch_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_lti_launch_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], name=op.f('fk_lti_launch_platform_id_lti_platform')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_lti_launch_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_launch'))
    )
    with op.batch_alter_table('lti_launch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_launch_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_launch_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_launch_user_id'), ['user_id'], unique=False)

    op.create_table('outbound_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('score_id', sa.Integer(), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=True),
    sa.Column('webhook_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_outbound_delivery_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['launch_id'], ['lti_launch.id'], name=op.f('fk_outbound_delivery_launch_id_lti_launch')),
    sa.ForeignKeyConstraint(['score_id'], ['attempt_score.id'], name=op.f('fk_outbound_delivery_score_id_attempt_score')),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhook.id'], name=op.f('fk_outbound_delivery_webhook_id_webhook')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_delivery')),
    sa.UniqueConstraint('kind', 'score_id', 'launch_id', 'webhook_id', name=op.f('uq_outbound_delivery_kind_score_id_launch_id_webhook_id'))
    )
    with op.batch_alter_table('outbound_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_delivery_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_delivery_next_try_at'), ['next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_delivery_state'), ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbound_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_delivery_state'))
        batch_op.drop_index(batch_op.f('ix_outbound_delivery_next_try_at'))
        batch_op.drop_index(batch_op.f('ix_outbound_delivery_attempt_id'))

    op.drop_table('outbound_delivery')
    with op.batch_alter_table('lti_launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_launch_user_id'))
        batch_op.drop_index(batch_op.f('ix_lti_launch_platform_id'))
        batch_op.drop_index(batch_op.f('ix_lti_launch_attempt_id'))

    op.drop_table('lti_launch')
    with op.batch_alter_table('lti_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_account_user_id'))
        batch_op.drop_index(batch_op.f('ix_lti_account_platform_id'))

    op.drop_table('lti_account')
    op.drop_table('webhook')
    op.drop_table('lti_platform')
    with op.batch_alter_table('lti_launch_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_launch_value_expires_at'))

    op.drop_table('lti_launch_value')
