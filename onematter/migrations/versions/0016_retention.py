"""Retention: when a person was anonymised, and which documents were archived or deleted

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('persons', sa.Column('anonymised_on', sa.Date(), nullable=True))
    op.add_column('documents', sa.Column('disposed', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))


def downgrade() -> None:
    op.drop_column('documents', 'disposed')
    op.drop_column('persons', 'anonymised_on')
