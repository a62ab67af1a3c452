"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, fixed 'today', a data dir,
and one Prefect test harness for the whole session.

Alembic runs once per test process (each xdist worker): into a template file on SQLite, which
every test copies; into a template database on PostgreSQL, from which the worker's test database
is created, emptied before each test (see `_empty_postgres`). tests/test_migrations.py runs the
migrations from empty on both."""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 30)          # a Monday
POSTGRES_URL = os.environ.get("ONEMATTER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/onematter_test")
# under pytest-xdist each worker has its own databases: onematter_test_gw0 and its template
if os.environ.get("PYTEST_XDIST_WORKER"):
    POSTGRES_URL = f"{POSTGRES_URL}_{os.environ['PYTEST_XDIST_WORKER']}"
POSTGRES_TEMPLATE_URL = f"{POSTGRES_URL}_template"
DATABASES = ["sqlite", "postgresql"]
# how each PostgreSQL test starts from the migrated, empty schema: "delete" (every row of every
# table deleted, sequences restarted: ~0.02 s) or "template" (the database dropped and created
# again from the template: ~0.6 s). TRUNCATE measured ~0.9 s (it writes new files for every table).
PG_RESET = os.environ.get("ONEMATTER_TEST_PG_RESET", "delete")


def pytest_configure(config) -> None:
    """One data key file and one (demo) seal for the session (encryption at rest, domain.md §1.5;
    电子印章), each in a private directory of its own, inherited by every command a test runs; a
    test of the key file's or the seal's own behaviour sets ONEMATTER_DATA_KEY_FILE or
    ONEMATTER_SEAL_DIR itself."""
    import tempfile

    if not os.environ.get("ONEMATTER_DATA_KEY_FILE"):
        from onematter.config.crypto import create_key_file
        path = Path(tempfile.mkdtemp(prefix="onematter-test-key-")) / "data.key"
        create_key_file(path)
        os.environ["ONEMATTER_DATA_KEY_FILE"] = str(path)
    if not os.environ.get("ONEMATTER_SEAL_DIR"):
        from onematter.config.settings import get_settings
        from onematter.documents.seal import make_demo
        path = Path(tempfile.mkdtemp(prefix="onematter-test-seal-")) / "seal"
        os.environ["ONEMATTER_SEAL_DIR"] = str(path)
        get_settings.cache_clear()
        make_demo(path)


def _clear_caches() -> None:
    from onematter.policy import load_policy
    from onematter.config.settings import get_settings
    get_settings.cache_clear()
    load_policy.cache_clear()


def _migrate(url: str) -> None:
    """Alembic from empty to head on `url`, through an engine used for nothing else."""
    from onematter.config.db import engine_for, init_db
    engine = engine_for.__wrapped__(url)       # not cached: disposed here, nothing left connected
    try:
        init_db(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once per test process; `db` copies it for each test."""
    import sqlite3
    path = tmp_path_factory.mktemp("sqlite-template") / "onematter.db"
    _migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:       # one self-contained file: no -wal beside it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path


def copy_sqlite_template(template: Path, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _pg_admin():
    import psycopg
    return psycopg.connect(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3)


def _pg_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def postgres_template() -> str:
    """A template database per test process (onematter_test_gw0_template), created empty and
    migrated once; skipped when PostgreSQL is down (an error in CI: ONEMATTER_REQUIRE_POSTGRES)."""
    import psycopg
    name = _pg_name(POSTGRES_TEMPLATE_URL)
    try:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("ONEMATTER_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL.rsplit('/', 1)[0]}: {exc}")
    _migrate(POSTGRES_TEMPLATE_URL)            # no connection left open: CREATE DATABASE … TEMPLATE needs none
    return POSTGRES_TEMPLATE_URL


def _pg_from_template() -> None:
    from onematter.config.db import engine_for
    engine_for(POSTGRES_URL).dispose()
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_pg_name(POSTGRES_URL)}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{_pg_name(POSTGRES_URL)}" TEMPLATE "{_pg_name(POSTGRES_TEMPLATE_URL)}"')


@pytest.fixture(scope="session")
def postgres_ready(postgres_template) -> str:
    """The test process's PostgreSQL database (onematter_test_gw0), created from the template."""
    _pg_from_template()
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_layout(postgres_ready) -> dict:
    """What `_empty_postgres` needs to bring the database back to the template's state: its
    tables, children first, and its sequences (read from the database, not from the models)."""
    from sqlalchemy import MetaData

    from onematter.config.db import engine_for
    engine = engine_for(postgres_ready)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences "
                                      "WHERE sequence_schema = 'public'")).scalars().all()
    return {"url": postgres_ready, "sequences": sequences,
            "tables": [t.name for t in reversed(meta.sorted_tables) if t.name != "alembic_version"]}


def _empty_postgres(layout: dict) -> None:
    """The schema as migrated, no rows: every table emptied (children first) and every sequence
    restarted, in one transaction on a pooled connection. A test that left a lock behind makes
    this fail within 30 s rather than hang."""
    if PG_RESET == "template":
        _pg_from_template()
        return
    from onematter.config.db import engine_for
    with engine_for(layout["url"]).begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '30s'"))
        # the access log refuses DELETE (a trigger): a test database is emptied as its owner would,
        # with user triggers off for this transaction (the tests' role is a superuser)
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in layout["tables"]:
            conn.execute(text(f'DELETE FROM "{table}"'))
        for sequence in layout["sequences"]:
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


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
    if request.param == "sqlite":
        url = copy_sqlite_template(request.getfixturevalue("sqlite_template"), env / "data" / "onematter.db")
    else:
        layout = request.getfixturevalue("postgres_layout")
        _empty_postgres(layout)
        url = layout["url"]
    monkeypatch.setenv("ONEMATTER_DATABASE_URL", url)
    _clear_caches()
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
    """The example intake, as a dict (a fresh copy per test), without its `materials`: an intake
    whose papers were checked at the window outside the system, so nothing waits for a scan (the
    tests of what the matters decide; `scanned_form` is the same with its scans)."""
    data = example_form()
    data.pop("materials")
    return data


@pytest.fixture
def scanned_form() -> dict:
    """The example intake with its sample scans (absolute paths): the window's one set of materials."""
    return example_form()


def example_form(name: str = "application.yaml") -> dict:
    """An example intake as a dict, its materials' paths made absolute (the copy a test writes
    elsewhere still finds the sample scans)."""
    with open(REPO / "examples" / name, encoding="utf-8") as fh:
        data = copy.deepcopy(yaml.safe_load(fh))
    if "materials" in data:          # absent: an intake whose papers were checked outside the system
        data["materials"] = {k: [str(REPO / "examples" / p) for p in v] for k, v in data["materials"].items()}
    return data


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


# The long tests first, longest first (their share of a run on 2 cores, from --durations), so
# the two xdist workers finish together instead of one of them running a served test alone at
# the end; everything else keeps its order after them.
SLOW_FIRST = (
    "test_workers.py",                                  # fifty applications on two machines
    "test_nothing_the_cli_starts_outlives_it",
    "test_served.py",
    "test_signable_documents.py",                       # one xdist group: the samples rendered once
    "test_several_clerks",
    "test_real_command",
    "test_generated_hostile_intake_files",
    "test_a_rehearsal_reaches_people",
    "test_cli_apply_decide_by_matter",
    "test_init_db_prepares",
    "flows/test_combined_application.py",
)


def _slow_rank(item) -> int:
    return next((rank for rank, mark in enumerate(SLOW_FIRST) if mark in item.nodeid), len(SLOW_FIRST))


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_slow_rank)
