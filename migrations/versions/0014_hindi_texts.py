"""Hindi beside the English of what pages show: cohort, window and bank names, a bank's
description, a standard setting's title, a competency's description and its levels' labels
and descriptors

Revision ID: hindi_texts
Revises: ratings
"""
from alembic import op
import sqlalchemy as sa


revision = "hindi_texts"
down_revision = "ratings"
branch_labels = None
depends_on = None

COLUMNS = {
    "cohort": [("name_hi", sa.String(length=200))],
    "window": [("name_hi", sa.String(length=200))],
    "item_bank": [("name_hi", sa.String(length=200)), ("description_hi", sa.Text())],
    "standard_setting": [("title_hi", sa.String(length=200))],
    "competency": [("description_hi", sa.Text())],
    "proficiency_level": [("label_hi", sa.String(length=100)), ("descriptor_hi", sa.Text())],
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, type_ in columns:
                batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for table, columns in reversed(list(COLUMNS.items())):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _type in reversed(columns):
                batch_op.drop_column(name)
