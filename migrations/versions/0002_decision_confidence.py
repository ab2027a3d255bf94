"""decision confidence of every score, certificates only when decided, standard setting

Revision ID: decision_confidence
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'decision_confidence'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidence_threshold', sa.Float(), server_default='0.8', nullable=False))
        batch_op.add_column(sa.Column('theta_cuts_standard_setting_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('percent_cuts_standard_setting_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('classical_pilot', sa.JSON(), nullable=True))

    with op.batch_alter_table('attempt_score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level_probabilities', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('certifying_confidence', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('certified_level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('certified_confidence', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.String(length=16), nullable=True))

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('decision_confidence', sa.Float(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_certificate_attempt_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_attempt_id_sequence'), ['attempt_id', 'sequence'])

    op.create_table('standard_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('rp', sa.Float(), nullable=True),
    sa.Column('parameter_set_id', sa.Integer(), nullable=True),
    sa.Column('booklet', sa.JSON(), nullable=True),
    sa.Column('items', sa.JSON(), nullable=True),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('current_round', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("method IN ('bookmark', 'angoff')", name=op.f('ck_standard_setting_method')),
    sa.ForeignKeyConstraint(['applied_by_id'], ['user.id'], name=op.f('fk_standard_setting_applied_by_id_user')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_standard_setting_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_standard_setting_created_by_id_user')),
    sa.ForeignKeyConstraint(['parameter_set_id'], ['parameter_set.id'], name=op.f('fk_standard_setting_parameter_set_id_parameter_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_setting'))
    )
    with op.batch_alter_table('standard_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_setting_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('standard_setting_panellist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_setting_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['standard_setting_id'], ['standard_setting.id'], name=op.f('fk_standard_setting_panellist_standard_setting_id_standard_setting')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_standard_setting_panellist_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_setting_panellist')),
    sa.UniqueConstraint('standard_setting_id', 'name', name=op.f('uq_standard_setting_panellist_standard_setting_id_name'))
    )
    with op.batch_alter_table('standard_setting_panellist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_setting_panellist_standard_setting_id'), ['standard_setting_id'], unique=False)

    op.create_table('standard_setting_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_setting_id', sa.Integer(), nullable=False),
    sa.Column('panellist_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_standard_setting_rating_level')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_standard_setting_rating_entered_by_id_user')),
    sa.ForeignKeyConstraint(['panellist_id'], ['standard_setting_panellist.id'], name=op.f('fk_standard_setting_rating_panellist_id_standard_setting_panellist')),
    sa.ForeignKeyConstraint(['standard_setting_id'], ['standard_setting.id'], name=op.f('fk_standard_setting_rating_standard_setting_id_standard_setting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_setting_rating')),
    sa.UniqueConstraint('panellist_id', 'round', 'level', 'item_id', name=op.f('uq_standard_setting_rating_panellist_id_round_level_item_id'))
    )
    with op.batch_alter_table('standard_setting_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_setting_rating_standard_setting_id'), ['standard_setting_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('standard_setting_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_setting_rating_standard_setting_id'))
    op.drop_table('standard_setting_rating')
    with op.batch_alter_table('standard_setting_panellist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_setting_panellist_standard_setting_id'))
    op.drop_table('standard_setting_panellist')
    with op.batch_alter_table('standard_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_setting_assessment_id'))
    op.drop_table('standard_setting')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certificate_attempt_id_sequence'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_attempt_id'), ['attempt_id'])
        batch_op.drop_column('decision_confidence')
        batch_op.drop_column('sequence')

    with op.batch_alter_table('attempt_score', schema=None) as batch_op:
        for name in ('decision', 'certified_confidence', 'certified_level', 'certifying_confidence',
                     'confidence', 'level_probabilities'):
            batch_op.drop_column(name)

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        for name in ('classical_pilot', 'percent_cuts_standard_setting_id', 'theta_cuts_standard_setting_id',
                     'confidence_threshold'):
            batch_op.drop_column(name)
