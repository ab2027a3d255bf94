"""Hindi names on certificates (competency, level label, agency) and of organisations

Revision ID: certificate_hindi
Revises: security
"""
from alembic import op
import sqlalchemy as sa


revision = 'certificate_hindi'
down_revision = 'security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_hi', sa.String(length=200), nullable=True))
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('competency_name_hi', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('level_label_hi', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('agency_name_hi', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        for name in ('agency_name_hi', 'level_label_hi', 'competency_name_hi'):
            batch_op.drop_column(name)
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('name_hi')
