"""The migrations themselves, on both databases: Alembic from an empty database to head gives
the schema the models describe, and running it again changes nothing. (The other tests copy a
database migrated once per test process: tests/conftest.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """An empty database of its own (never a copy of the template), and its URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    from tests.conftest import POSTGRES_URL, _pg_admin, _pg_name
    request.getfixturevalue("postgres_template")           # skipped (or an error in CI) without PostgreSQL
    url = f"{POSTGRES_URL}_migrations"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_pg_name(url)}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{_pg_name(url)}"')
    yield url
    from onematter.config.db import engine_for
    engine_for(url).dispose()
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_pg_name(url)}" WITH (FORCE)')


def test_alembic_from_empty_to_head_gives_the_models_schema(empty_database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from onematter import matters
    from onematter.config.db import engine_for, head_revision, init_db
    matters.all_specs()                                    # every matter's tables in the metadata
    engine = engine_for(empty_database)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    init_db(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set(SQLModel.metadata.tables)
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], diff
    init_db(engine)                                        # again: nothing to do, nothing changed
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert set(inspect(conn).get_table_names()) - {"alembic_version"} == tables
