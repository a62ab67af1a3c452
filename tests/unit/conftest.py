"""tests/unit: pure rules, intake parsing, identity, working days — no database and no Prefect,
so `pytest tests/unit` runs in seconds anywhere. Enforced here: a test in this folder that asks
for a database fixture or Prefect's harness is an error, any connection to SQLite or PostgreSQL
fails the test, and so does a test that imports Prefect."""

from __future__ import annotations

import sys

import pytest

FORBIDDEN = {"db", "session", "catalogue", "sqlite_template", "sqlite_db", "postgres_template", "postgres_ready",
             "postgres_layout", "prefect", "stack"}


def pytest_runtest_setup(item):
    asked = FORBIDDEN & set(item.fixturenames)
    if asked:
        pytest.fail(f"{item.nodeid} is in tests/unit but uses {sorted(asked)}: move it out of tests/unit",
                    pytrace=False)


@pytest.fixture(autouse=True)
def no_database_no_prefect(monkeypatch):
    import sqlite3

    def refused(*args, **kwargs):
        raise AssertionError("a test in tests/unit opened a database connection")
    import sqlite3.dbapi2                       # what SQLAlchemy's SQLite dialect calls
    for module in (sqlite3, sqlite3.dbapi2):
        monkeypatch.setattr(module, "connect", refused)
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        pass
    else:
        monkeypatch.setattr(psycopg, "connect", refused)
        monkeypatch.setattr(psycopg.Connection, "connect", classmethod(lambda cls, *a, **k: refused()))
    had_prefect = "prefect" in sys.modules
    yield
    if not had_prefect and "prefect" in sys.modules:
        pytest.fail("a test in tests/unit imported Prefect", pytrace=False)
