"""A served stack for the benches: a fresh data dir with the sample catalogue, then `onematter
serve` on free loopback ports (stopped by `stop`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def prepare(prefix: str) -> Path:
    """A new data dir (our database migrated, the sample catalogue imported); Prefect's settings
    cleared but for its database URL."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["ONEMATTER_DATA_DIR"] = str(work)
    for k in [k for k in os.environ if k.startswith("PREFECT_") and k != "PREFECT_API_DATABASE_CONNECTION_URL"]:
        del os.environ[k]
    os.environ["PREFECT_HOME"] = str(work / "prefect-server")
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.config.db import session_scope
    from onematter.services.keys import prepare
    from onematter.config.settings import today
    from bench.rows import demo_seal
    demo_seal(work)
    prepare()            # the data key (made on a new data dir) and the schema
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(today())))
    return work


def start(workers: int | None = None) -> tuple[subprocess.Popen, int, int]:
    """`onematter serve` until it says it is ready: (process, Prefect port, web port)."""
    from onematter.runtime.serve import free_port
    port, web_port = free_port(), free_port()
    extra = ["--workers", str(workers)] if workers is not None else []
    proc = subprocess.Popen([sys.executable, "-m", "onematter.cli", "serve", "--port", str(port), "--web-port",
                             str(web_port), *extra], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    while "Ctrl-C" not in (line := proc.stdout.readline()):
        if proc.poll() is not None:
            raise SystemExit("serve failed: " + line)
    return proc, port, web_port


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(60)
