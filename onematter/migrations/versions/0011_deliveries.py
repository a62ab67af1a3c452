"""统一出件: deliveries (who got the documents, how) and the public pages' throttle

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'deliveries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('application_id', sa.Uuid(), sa.ForeignKey('applications.id'), nullable=False),
        sa.Column('addressee', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('served_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_deliveries_application_id', 'deliveries', ['application_id'])
    op.create_table(
        'throttles',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('throttles')
    op.drop_index('ix_deliveries_application_id', 'deliveries')
    op.drop_table('deliveries')
