"""Hindi beside the English of a FRAC position's description; its roles' and activities' Hindi
live in the roles' JSON beside their English (``name_hi``, ``activities_hi``)

Revision ID: position_hindi
Revises: hindi_texts
"""
from alembic import op
import sqlalchemy as sa


revision = "position_hindi"
down_revision = "hindi_texts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("frac_position_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description_hi", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("frac_position_version", schema=None) as batch_op:
        batch_op.drop_column("description_hi")
