"""documents a bureau can sign: the 文号 register, an employer's contact on postings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('doc_key', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'serial'),
    sa.UniqueConstraint('application_id', 'doc_key')
    )
    with op.batch_alter_table('notice_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_numbers_application_id'), ['application_id'], unique=False)
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_column('contact')
    with op.batch_alter_table('notice_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_numbers_application_id'))
    op.drop_table('notice_numbers')
