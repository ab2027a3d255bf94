"""response_file: files candidates give as answers (uploads, drawings), kept with the attempt
item they answer

Revision ID: qtiparts_response_files
Revises: qtiengine
"""
from alembic import op
import sqlalchemy as sa


revision = "qtiparts_response_files"
down_revision = "qtiengine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('response_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_item_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_response_file_size_positive')),
    sa.ForeignKeyConstraint(['attempt_item_id'], ['attempt_item.id'], name=op.f('fk_response_file_attempt_item_id_attempt_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_file')),
    sa.UniqueConstraint('attempt_item_id', 'sha256', name=op.f('uq_response_file_attempt_item_id_sha256'))
    )
    with op.batch_alter_table('response_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_file_attempt_item_id'), ['attempt_item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('response_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_file_attempt_item_id'))
    op.drop_table('response_file')
