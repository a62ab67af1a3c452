"""follow-ups that reach people: outbox delivery columns, opt-outs, staff tasks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite has it): batch mode's copy-and-move ordering of several new columns
    # can come out circular (Alembic raised CircularDependencyError on some runs)
    op.add_column('notifications', sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                             server_default='veteran'))
    op.add_column('notifications', sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('notifications', sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('notifications', sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('notifications', sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('notifications', sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('notifications', sa.Column('segments', sa.Integer(), nullable=False, server_default='1'))
    op.create_index(op.f('ix_notifications_status'), 'notifications', ['status'], unique=False)
    op.execute("UPDATE notifications SET audience = 'staff' WHERE kind IN ('deadline_reminder', 'escalation')")
    op.create_table('opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id')
    )
    op.create_table('staff_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=True),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('station', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject', sa.JSON(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('done_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('staff_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_tasks_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_tasks_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('staff_tasks')
    op.drop_table('opt_outs')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_status'))
        for column in ('segments', 'last_error', 'next_attempt_at', 'attempts', 'urgent', 'body', 'audience'):
            batch_op.drop_column(column)
