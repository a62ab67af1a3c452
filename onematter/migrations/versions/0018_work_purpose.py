"""The warm workers' queue carries what to do: `application` (the combined-application flow: decide
the matters, issue, open the decision forms) or `documents` (issue what a decision, a promoted
waitlist place … made due), and `again`: a request that arrived while the row was running, taken
up as soon as that run ends

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('work_items', sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False,
                                          server_default='application'))
    op.add_column('work_items', sa.Column('again', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))


def downgrade() -> None:
    op.drop_column('work_items', 'again')
    op.drop_column('work_items', 'purpose')
