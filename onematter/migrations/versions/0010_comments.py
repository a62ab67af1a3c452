"""备注: staff comments on a case

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_comments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('application_id', sa.Uuid(), sa.ForeignKey('applications.id'), nullable=False),
        sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('author_name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('station', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_case_comments_application_id', 'case_comments', ['application_id'])


def downgrade() -> None:
    op.drop_index('ix_case_comments_application_id', 'case_comments')
    op.drop_table('case_comments')
