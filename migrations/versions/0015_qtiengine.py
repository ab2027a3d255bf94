"""The instance of an item model (a QTI item that draws its values per candidate) each
administered item was given, kept so that the scored instance can be shown again and audited

Revision ID: qtiengine
Revises: hindi_texts
"""
from alembic import op
import sqlalchemy as sa


revision = "qtiengine"
down_revision = "hindi_texts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempt_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instance", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempt_item", schema=None) as batch_op:
        batch_op.drop_column("instance")
