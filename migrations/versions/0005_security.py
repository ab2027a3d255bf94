"""security: a session generation per user, so sign-out ends sessions on the server; the
disconnected time given back to an attempt, so it can be capped

Revision ID: security
Revises: measurement_loop
"""
from alembic import op
import sqlalchemy as sa


revision = "security"
down_revision = "measurement_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("attempt") as batch:
        batch.add_column(sa.Column("disconnected_total_s", sa.Float(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("attempt") as batch:
        batch.drop_column("disconnected_total_s")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("session_generation")
