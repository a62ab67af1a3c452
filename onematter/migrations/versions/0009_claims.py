"""认领: the supervisor who holds a matter's decision

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matter_cases') as batch:
        batch.add_column(sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
        batch.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('matter_cases') as batch:
        batch.drop_column('assigned_at')
        batch.drop_column('assignee')
