"""Engine, sessions and migrations. The URL comes from settings: SQLite file by default,
PostgreSQL by URL."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from onematter.config.resources import migrations_dir
from onematter.config.settings import get_settings

MIGRATIONS = migrations_dir()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: an error message never carries the values (names, ID numbers) it was writing
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # pragma: no cover - driver hook
            dbapi_conn.isolation_level = None     # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            # what is deleted or overwritten (a number sealed in place, a person anonymised) is
            # zeroed in the file, not left in a free page
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - driver hook
            # Units of work (session_scope) take the write lock up front, so read-then-write
            # (seat counts, serials) can't race; plain readers begin deferred and block no one.
            conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args={"connect_timeout": 10})


def bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows of a plain table (no encrypted or JSON columns) in the session's
    transaction: PostgreSQL's COPY (a digest's 250,000 pushes: a fraction of the INSERTs' time),
    else one executemany. A duplicate key is sqlalchemy's IntegrityError either way, so a caller's
    savepoint (begin_nested) and its row-by-row retry work the same on both."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(table.insert(), rows)
        return
    import psycopg  # noqa: I001 — the PostgreSQL driver, loaded already when this runs

    columns = list(rows[0])
    raw = connection.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    try:
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    except psycopg.errors.IntegrityError as exc:
        from sqlalchemy.exc import IntegrityError  # noqa: I001
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc


def get_engine() -> Engine:
    return engine_for(get_settings().resolved_database_url)


@contextmanager
def session_scope(*, readonly: bool = False) -> Iterator[Session]:
    """One unit of work: commits once at the end, rolls back on error. `readonly`: a reader, which
    on SQLite begins deferred and so never waits for (or blocks) a writer's lock."""
    engine = get_engine()
    if engine.dialect.name == "sqlite" and not readonly:
        engine = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine | None = None):
    from alembic.config import Config  # lazy: reading commands never migrate, so never import Alembic

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine or get_engine()
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def init_db(engine: Engine | None = None) -> None:
    """Bring the schema to the latest migration (idempotent). A database that held numbers in
    the clear before migration 0015 sealed them is compacted afterwards, so the old values do not
    linger in free pages (SQLite) or dead rows (PostgreSQL)."""
    from alembic import command  # lazy: reading commands never migrate, so never import Alembic

    engine = engine or get_engine()
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    if before is not None and before < "0015":
        compact(engine)


def compact(engine: Engine) -> None:
    """Rewrite the database's files: SQLite VACUUM (and the WAL emptied), PostgreSQL VACUUM FULL
    of the tables that held personal data."""
    raw = engine.raw_connection()         # outside any transaction: VACUUM refuses to run inside one
    try:
        driver = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.execute("VACUUM")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            driver.autocommit = True
            driver.execute("VACUUM FULL persons, applications, documents, notifications, deliveries")
            driver.autocommit = False
    finally:
        raw.close()


def head_revision() -> str:
    """The newest migration's revision (file names start with it: 0002_….py)."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


class SchemaNotReady(Exception):
    pass


def check_schema() -> bool:
    """For commands that only read (they never migrate): False when nothing was ever stored (no
    schema yet), True when the schema is current; an outdated schema is a clear error."""
    engine = get_engine()
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if current != head_revision():
        raise SchemaNotReady(f"数据库结构版本为 {current}，需要升级到 {head_revision()}，请先运行 onematter init-db")
    return True
