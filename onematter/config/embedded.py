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
import atexit
import fcntl
import importlib.util
import os
import socket
import subprocess
import sys
import time
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


# ------------------------------------------------------------------ the server, started early
# Prefect starts its temporary server when the first flow runs: the client first imports the
# server's modules (1.8 s) only to start it, then waits for it to import them again and come up
# (3.7 s), while the application waits. A command that will run a flow starts that same server
# (uvicorn on Prefect's app factory, as Prefect does) as soon as the databases are ready, in a
# process of its own, so it comes up on the other core while this one stores the application and
# loads the flow; the flow then runs against it (PREFECT_API_URL in Prefect's settings context
# only: this process is still the embedded default, not a served stack).

_early: dict = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prefect_has_a_server() -> bool:
    """Prefect, loaded already, was given a server (a test harness's): nothing to start. A CLI
    process has not loaded Prefect at this point (reading commands never do), so this costs nothing."""
    if "prefect" not in sys.modules:
        return False
    from prefect.settings import get_current_settings  # noqa: I001 — loaded already
    return bool(get_current_settings().api.url)


def start_server_early() -> None:
    """Start the embedded Prefect server now (no-op on a served stack, when Prefect has a server
    already, or when started already)."""
    if served() or _early or _prefect_has_a_server():
        return
    prefect_defaults()
    watch_children()                   # the server carries the CLI's token: it never outlives the CLI
    port = _free_port()
    app_dir = Path(importlib.util.find_spec("prefect").origin).parent.parent
    # its database is migrated already (prepare_prefect, under the lock); block types are not used
    # here, and registering them took the first start 2 s more
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
           "PREFECT_API_DATABASE_MIGRATE_ON_START": "false", "PREFECT_API_BLOCKS_REGISTER_ON_START": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
                             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "error", "--lifespan", "on"], env=env, stdin=subprocess.DEVNULL)
    _early.update(proc=proc, url=f"http://127.0.0.1:{port}/api")
    atexit.register(_stop_early)


def _stop_early() -> None:
    proc = _early.get("proc")
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _early_url() -> str | None:
    """The early server's API, once it answers (None: none was started, or it did not come up:
    Prefect then starts its own, as it always did)."""
    proc = _early.get("proc")
    if proc is None:
        return None
    if _early.get("ready"):
        return _early["url"]
    import httpx  # noqa: I001 — Prefect's own HTTP client, loaded with Prefect anyway
    deadline = time.monotonic() + float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
                                                       STARTUP_TIMEOUT_SECONDS))
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{_early['url']}/health", timeout=2).status_code == 200:
                _early["ready"] = True
                return _early["url"]
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return None


@contextmanager
def embedded_api() -> Iterator[None]:
    """Prefect, in what runs inside, talks to the server started early, when there is one."""
    url = _early_url()
    if url is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: I001 — Prefect only when a flow runs
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield


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
