"""One decision confidence per assessment: the adaptive stop reads ``confidence_threshold``
(the certificate's), and ``decision_confidence`` goes. Where the two differed, the
certificate's value is kept: it is the rule candidates are judged by.

Revision ID: one_confidence
Revises: lti
"""
from alembic import op
import sqlalchemy as sa

revision = "one_confidence"
down_revision = "lti"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.drop_column("decision_confidence")


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.add_column(sa.Column("decision_confidence", sa.Float(), server_default="0.8",
                                   nullable=False))
    op.execute("UPDATE assessment SET decision_confidence = confidence_threshold")
