"""measurement loop: candidates' optional attributes, calibration runs and decisions

Revision ID: measurement_loop
Revises: effectiveness
"""
from alembic import op
import sqlalchemy as sa


revision = "measurement_loop"
down_revision = "effectiveness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('candidate_attributes',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('state', sa.String(length=64), nullable=True),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_candidate_attributes_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_candidate_attributes'))
    )
    op.create_table('calibration_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=8), nullable=False),
    sa.Column('scale', sa.String(length=8), nullable=False),
    sa.Column('selection', sa.JSON(), nullable=False),
    sa.Column('base_set_id', sa.Integer(), nullable=True),
    sa.Column('min_responses', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('parameter_set_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("scale IN ('anchors', 'linked', 'free')", name=op.f('ck_calibration_run_scale')),
    sa.CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name=op.f('ck_calibration_run_state')),
    sa.ForeignKeyConstraint(['base_set_id'], ['parameter_set.id'], name=op.f('fk_calibration_run_base_set_id_parameter_set')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_calibration_run_competency_id_competency')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_calibration_run_created_by_id_user')),
    sa.ForeignKeyConstraint(['parameter_set_id'], ['parameter_set.id'], name=op.f('fk_calibration_run_parameter_set_id_parameter_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_run'))
    )
    op.create_index(op.f('ix_calibration_run_competency_id'), 'calibration_run', ['competency_id'], unique=False)
    op.create_index(op.f('ix_calibration_run_state'), 'calibration_run', ['state'], unique=False)
    op.create_table('calibration_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('flag', 'exclude', 'include', 'promote', 'retire')", name=op.f('ck_calibration_decision_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_calibration_decision_actor_id_user')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_calibration_decision_item_id_item')),
    sa.ForeignKeyConstraint(['run_id'], ['calibration_run.id'], name=op.f('fk_calibration_decision_run_id_calibration_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_decision'))
    )
    op.create_index(op.f('ix_calibration_decision_item_id'), 'calibration_decision', ['item_id'], unique=False)
    op.create_index(op.f('ix_calibration_decision_run_id'), 'calibration_decision', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_calibration_decision_run_id'), table_name='calibration_decision')
    op.drop_index(op.f('ix_calibration_decision_item_id'), table_name='calibration_decision')
    op.drop_table('calibration_decision')
    op.drop_index(op.f('ix_calibration_run_state'), table_name='calibration_run')
    op.drop_index(op.f('ix_calibration_run_competency_id'), table_name='calibration_run')
    op.drop_table('calibration_run')
    op.drop_table('candidate_attributes')
