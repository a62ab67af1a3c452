"""serve heals itself (issue 21 §6): against a real `onematter serve`, under a stream of
applications, its worker and then its Prefect server are SIGKILLed; serve starts each again
(after a pause, logged, counted on /health, which names the part while it is down), and every
application is finished once — nothing lost, nothing done twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import yaml
from sqlmodel import func, select

from onematter.case.models import Application, Document
from onematter.runtime.serve import free_port
from tests.conftest import REPO
from tests.footprint import tree
from tests.test_served import _wait, start_serve

APPLICATIONS = 4


def _pids(root: int, marker: str) -> list[int]:
    found = []
    for pid in tree(root):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                found.append(pid)
        except OSError:
            pass
    return found


def _health(web: str) -> dict:
    return httpx.get(f"{web}/health", timeout=5).json()


def test_serve_restarts_a_killed_worker_and_prefect_server_and_loses_nothing(db, catalogue, env, tmp_path, session):
    from onematter.casework.samples import sample_form
    port, web_port = free_port(), free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environ |= {"PREFECT_HOME": str(tmp_path / "prefect-server"), "ONEMATTER_DATABASE_URL": db}
    cli_env = environ | {"PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    web = f"http://127.0.0.1:{web_port}"
    files = []
    for seq in range(APPLICATIONS):
        form = sample_form(seq, key=f"heal-{seq}", birth="19880808")
        form.pop("materials")
        files.append(tmp_path / f"heal-{seq}.yaml")
        files[-1].write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")

    proc, output = start_serve(environ, port, web_port)
    try:
        report = _health(web)
        assert report["status"] == "ok" and set(report["parts"]) == {"prefect_server", "worker-1"}
        assert all(p["up"] and p["restarts"] == 0 for p in report["parts"].values()), report
        done: list[subprocess.CompletedProcess] = []

        def submit():
            for path in files:
                done.append(subprocess.run([sys.executable, "-m", "onematter.cli", "apply", str(path), "--json"],
                                           cwd=REPO, env=cli_env, capture_output=True, text=True, timeout=300))
        submitter = threading.Thread(target=submit)
        submitter.start()

        # the worker, SIGKILLed while applications come in: a new one within seconds
        _wait(lambda: len(done) >= 1, 120)
        (worker,) = _pids(proc.pid, "onematter.cli worker")
        os.kill(worker, signal.SIGKILL)
        _wait(lambda: _health(web)["parts"]["worker-1"]["restarts"] == 1, 30)
        assert _health(web)["parts"]["worker-1"]["up"]
        assert _pids(proc.pid, "onematter.cli worker") not in ([], [worker])

        # the Prefect server, SIGKILLed: /health names it while it is down, then it is back
        _wait(lambda: len(done) >= 2, 180)
        server = _pids(proc.pid, "prefect server start")[0]
        os.killpg(os.getpgid(server), signal.SIGKILL)
        seen_down = []
        _wait(lambda: seen_down.append(_health(web)) or seen_down[-1]["parts"]["prefect_server"]["restarts"] == 1, 120)
        assert any(r["status"] == "degraded" and not r["parts"]["prefect_server"]["up"] for r in seen_down), seen_down[:3]
        assert _health(web)["status"] == "ok"
        submitter.join(400)
        assert not submitter.is_alive()

        # every application finished, once: its receipt and form issued once each
        def finished() -> bool:
            session.rollback()
            apps = session.exec(select(Application).where(Application.idempotency_key.like("heal-%"))).all()
            return len(apps) == APPLICATIONS and all(a.status not in ("submitted", "processing") for a in apps) and all(
                set(session.exec(select(Document.doc_key).where(Document.application_id == a.id)).all())
                >= {"form", "receipt"} for a in apps)
        _wait(finished, 300)
        counts = session.exec(select(Document.application_id, Document.doc_key, func.count()).join(
            Application, Application.id == Document.application_id).where(Application.idempotency_key.like("heal-%"))
            .group_by(Document.application_id, Document.doc_key)).all()
        assert counts and all(n == 1 for *_, n in counts), counts
        logs = "".join(output)
        assert "工作进程 1：已退出" in logs and "Prefect 服务器：已退出" in logs and "：已重新启动（第 1 次）" in logs, logs[-2000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(60)
