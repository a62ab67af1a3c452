"""查询留痕: the access log, append-only (a trigger refuses UPDATE and DELETE)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

MESSAGE = "access_log is append-only (查询留痕不可修改或删除)"


def upgrade() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('station', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('person_id', sa.Uuid(), nullable=True),
        sa.Column('application_id', sa.Uuid(), nullable=True),
        sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('what', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('how', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    )
    op.create_index('ix_access_log_at', 'access_log', ['at'])
    op.create_index('ix_access_log_person_id', 'access_log', ['person_id'])
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER access_log_no_{event.lower()} BEFORE {event} ON access_log "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    else:
        op.execute(f"""CREATE FUNCTION access_log_append_only() RETURNS trigger AS $$
                       BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
                   "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()")
        op.execute("CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS access_log_no_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    op.drop_index('ix_access_log_person_id', 'access_log')
    op.drop_index('ix_access_log_at', 'access_log')
    op.drop_table('access_log')
