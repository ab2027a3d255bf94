"""interoperability: media files of imported items

Revision ID: interop
Revises: certificate_hindi
"""
from alembic import op
import sqlalchemy as sa


revision = "interop"
down_revision = "certificate_hindi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_media',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_item_media'))
    )


def downgrade() -> None:
    op.drop_table('item_media')
