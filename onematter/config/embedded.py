"""The embedded default: Prefect's local (ephemeral) server, its state under the data dir.

Prefect starts that server in a subprocess on the first flow run and waits for it at most
`PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS` (20 s). On a new data dir the server first
migrates its new SQLite database, which took ~24 s on a busy 2-core machine: the first application
failed. So `init-db` (and every command that writes) migrates Prefect's database up front, once,
under a file lock (several CLI processes at once would race on those migrations), and the start-up
timeout is raised to fit a slow machine.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Iterator

from onematter.config.settings import get_settings

STARTUP_TIMEOUT_SECONDS = "180"
MARKER = ".onematter-prefect-db"


def served() -> bool:
    """A served stack is in use when PREFECT_API_URL points at it."""
    return bool(os.environ.get("PREFECT_API_URL"))


def prefect_defaults() -> Path:
    """Prefect's own state under the data dir, quiet, offline; returns PREFECT_HOME."""
    if "PREFECT_HOME" not in os.environ:
        os.environ["PREFECT_HOME"] = str(get_settings().data_dir / "prefect")
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", STARTUP_TIMEOUT_SECONDS)
    return home


def _stamp(home: Path) -> str:
    """What the marker records: Prefect's version and the database it migrated."""
    url = os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL") or f"sqlite:{home / 'prefect.db'}"
    return f"prefect {version('prefect')}\n{url}\n"


def _prepared(home: Path) -> bool:
    marker = home / MARKER
    if not marker.is_file() or marker.read_text(encoding="utf-8") != _stamp(home):
        return False
    return bool(os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL")) or (home / "prefect.db").is_file()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def prepare_prefect() -> bool:
    """Migrate the embedded Prefect database before the first run (no-op when served or done).
    Returns True when it migrated now."""
    if served():
        return False
    home = prefect_defaults()
    if _prepared(home):
        return False
    with _locked(home / ".migrate.lock"):
        if _prepared(home):        # another process did it while we waited
            return False

        from prefect.server.database import (
            provide_database_interface,  # lazy: Prefect's server modules only when its database is prepared
        )
        asyncio.run(provide_database_interface().create_db())
        (home / MARKER).write_text(_stamp(home), encoding="utf-8")
    return True


# A process that watches the CLI and, once the CLI is gone (also after SIGKILL, when no handler of
# ours runs), stops every process the CLI started: they carry a token in their environment (the
# ephemeral server inherits it), which the watchdog finds in /proc. It imports nothing heavy.
_WATCHDOG = """
import os, signal, sys, time
from pathlib import Path
cli, token = int(sys.argv[1]), sys.argv[2].encode()
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
def marked():
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if token in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                pass
    return found
while alive(cli):
    time.sleep(0.5)
for sig in (signal.SIGTERM, signal.SIGKILL):
    for pid in marked():
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    for _ in range(20):
        if not marked():
            sys.exit(0)
        time.sleep(0.25)
"""
TOKEN = "ONEMATTER_CLI_RUN"


def watch_children() -> None:
    """Nothing the CLI starts may outlive it: a watchdog stops what carries this process's token."""
    if os.environ.get(TOKEN, "").startswith(f"{os.getpid()}-") or not Path("/proc").is_dir():
        return                                    # this process is watched already
    token = f"{TOKEN}={os.getpid()}-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if k != TOKEN}
    subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), token], env=env,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    os.environ[TOKEN] = token.split("=", 1)[1]
