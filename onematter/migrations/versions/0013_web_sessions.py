"""Staff sessions held on the server (sign-out ends every copy of the cookie; idle from the last request)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_why', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    )
    op.create_index('ix_web_sessions_username', 'web_sessions', ['username'])


def downgrade() -> None:
    op.drop_index('ix_web_sessions_username', 'web_sessions')
    op.drop_table('web_sessions')
