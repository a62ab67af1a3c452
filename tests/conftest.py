"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, fixed 'today', a data dir,
and one Prefect test harness for the whole session."""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 30)          # a Monday
POSTGRES_URL = os.environ.get("ONEMATTER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/onematter_test")
# under pytest-xdist each worker has its own database (tests truncate every table)
if os.environ.get("PYTEST_XDIST_WORKER"):
    POSTGRES_URL = f"{POSTGRES_URL}_{os.environ['PYTEST_XDIST_WORKER']}"
DATABASES = ["sqlite", "postgresql"]


def _clear_caches() -> None:
    from onematter.policy import load_policy
    from onematter.config.settings import get_settings
    get_settings.cache_clear()
    load_policy.cache_clear()


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    """Create the PostgreSQL test database (once); fail loudly when PostgreSQL is down in CI."""
    import psycopg
    base, name = POSTGRES_URL.rsplit("/", 1)
    try:
        with psycopg.connect(base + "/postgres", autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("ONEMATTER_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {base}: {exc}")
    from onematter.config.db import engine_for, init_db
    engine = engine_for(POSTGRES_URL)
    with engine.begin() as conn:  # start from an empty schema: the migrations are under test too
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    init_db(engine)
    return POSTGRES_URL


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Settings for one test: its own data dir, today fixed."""
    monkeypatch.setenv("ONEMATTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ONEMATTER_TODAY", TODAY.isoformat())
    monkeypatch.delenv("ONEMATTER_DATABASE_URL", raising=False)
    _clear_caches()
    yield tmp_path
    _clear_caches()


@pytest.fixture(params=DATABASES)
def db(request, env, monkeypatch):
    """A fresh, migrated database; yields its URL. Runs every test on SQLite and PostgreSQL."""
    from onematter.config.db import engine_for, init_db
    if request.param == "sqlite":
        url = f"sqlite:///{env / 'data' / 'onematter.db'}"
        monkeypatch.setenv("ONEMATTER_DATABASE_URL", url)
        _clear_caches()
        init_db()
    else:
        url = request.getfixturevalue("postgres_ready")
        monkeypatch.setenv("ONEMATTER_DATABASE_URL", url)
        _clear_caches()
        from sqlmodel import SQLModel

        from onematter import matters
        matters.all_specs()          # every matter's tables on the metadata before it is listed
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine_for(url).begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield url


@pytest.fixture
def session(db):
    from sqlmodel import Session

    from onematter.config.db import get_engine
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def catalogue(session):
    """The sample catalogue, imported."""
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    data = sample_catalogue(TODAY)
    import_catalogue(session, parse_catalogue(data))
    session.commit()
    return data


@pytest.fixture
def form() -> dict:
    """The example intake, as a dict (a fresh copy per test)."""
    with open(REPO / "examples" / "application.yaml", encoding="utf-8") as fh:
        return copy.deepcopy(yaml.safe_load(fh))


def make_id(birth: str = "19920315", region: str = "330482", seq: str = "121") -> str:
    from stdnum.cn import ric
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture(scope="session")
def prefect():
    """One Prefect test harness (a real temporary server) for the whole session."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=120):
        yield


SLOW_FIRST = ("test_served.py", "test_workers.py", "test_several_clerks", "test_cli_apply_decide_by_matter", "test_real_command",
              "test_samples_render", "test_signable_documents")


def pytest_collection_modifyitems(session, config, items):
    """The long tests go first, so the two xdist workers finish together instead of one of them
    running a served test alone at the end."""
    items.sort(key=lambda item: not any(mark in item.nodeid for mark in SLOW_FIRST))
