from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import onematter.case.models  # noqa: F401  (registers the core's tables)
from onematter import matters

matters.all_specs()             # imports every matter package, which registers its own tables

target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]
MIGRATION_LOCK = 4_300_001     # PostgreSQL advisory lock key: one migrating process at a time

if engine.dialect.name == "sqlite":
    # take the write lock before reading the version: processes migrating a new file at once queue
    # (busy_timeout) instead of failing with "database is locked"
    engine = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")

# One transaction for the whole upgrade, begun before Alembic looks at the version (SQLite: BEGIN
# IMMEDIATE, the write lock first; PostgreSQL: the advisory lock). Left to itself Alembic commits
# after each migration on SQLite (no transactional DDL), and a second process could read the
# version between two of them and apply the next one again ("expected to match one row … 0 found").
with engine.connect() as connection, connection.begin():
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
