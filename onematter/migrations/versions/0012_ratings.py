"""好差评: one rating per application, its 整改 task

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ratings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('application_id', sa.Uuid(), sa.ForeignKey('applications.id'), nullable=False, unique=True),
        sa.Column('station', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('task_id', sa.Uuid(), sa.ForeignKey('staff_tasks.id'), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('ratings')
