"""ratings: written answers rated by people (response_rating), the assessment's rating
tolerance, and the attempt state awaiting_ratings

Revision ID: ratings
Revises: invitations
"""
from alembic import op
import sqlalchemy as sa


revision = "ratings"
down_revision = "invitations"
branch_labels = None
depends_on = None

STATES = ("'created', 'checked_in', 'in_progress', 'paused', 'submitted', 'timed_out', 'terminated', "
          "{}'scored', 'voided'")


def upgrade() -> None:
    op.create_table('response_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_item_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("round IN ('first', 'second', 'adjudication')", name=op.f('ck_response_rating_round')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_response_rating_points_not_negative')),
    sa.ForeignKeyConstraint(['attempt_item_id'], ['attempt_item.id'], name=op.f('fk_response_rating_attempt_item_id_attempt_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rater_id'], ['user.id'], name=op.f('fk_response_rating_rater_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_rating')),
    sa.UniqueConstraint('attempt_item_id', 'rater_id', name=op.f('uq_response_rating_attempt_item_id_rater_id')),
    sa.UniqueConstraint('attempt_item_id', 'round', name=op.f('uq_response_rating_attempt_item_id_round'))
    )
    with op.batch_alter_table('response_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_rating_attempt_item_id'), ['attempt_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_rating_rater_id'), ['rater_id'], unique=False)
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_tolerance', sa.Float(), server_default='1', nullable=False))
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_attempt_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_attempt_state'),
                                         f"state IN ({STATES.format(repr('awaiting_ratings') + ', ')})")


def downgrade() -> None:
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_attempt_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_attempt_state'), f"state IN ({STATES.format('')})")
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('rating_tolerance')
    with op.batch_alter_table('response_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_rating_rater_id'))
        batch_op.drop_index(batch_op.f('ix_response_rating_attempt_item_id'))
    op.drop_table('response_rating')
