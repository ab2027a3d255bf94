"""Adaptive tests that classify: the level's decision confidence at which an adaptive test
stops, its exposure cap, and the Sympson–Hetter parameters of its last readiness check.

Revision ID: adaptive_classification
Revises: interop
"""
from alembic import op
import sqlalchemy as sa

revision = "adaptive_classification"
down_revision = "interop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.add_column(sa.Column("decision_confidence", sa.Float(), server_default="0.8",
                                   nullable=False))
        batch.add_column(sa.Column("max_exposure", sa.Float(), nullable=True))
        batch.add_column(sa.Column("exposure_control", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.drop_column("exposure_control")
        batch.drop_column("max_exposure")
        batch.drop_column("decision_confidence")
