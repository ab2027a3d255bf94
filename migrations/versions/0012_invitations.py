"""workplace invitations by e-mail: expiry of a rater's newest link, when it was sent, how
often, and why the last sending failed

Revision ID: invitations
Revises: one_confidence
"""
from alembic import op
import sqlalchemy as sa


revision = "invitations"
down_revision = "one_confidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workplace_rater", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("send_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("send_error", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workplace_rater", schema=None) as batch_op:
        batch_op.drop_column("send_error")
        batch_op.drop_column("send_count")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("expires_at")
