"""Several machines, for real: a Prefect server on PostgreSQL (`onematter serve --workers 0`), our
database on PostgreSQL, one shared documents directory, and warm workers started as separate
`onematter worker` processes, each with its own PREFECT_HOME (standing in for machines). Fifty
applications are submitted at once; one worker is killed with SIGKILL in the middle of an
application and another takes it up."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import func, select

from onematter.case.models import Application, Document, Event, MatterCase, Notification, WorkItem
from onematter.matters.job_fair.models import FairRegistration
from onematter.matters.training.models import Enrolment
from onematter.runtime.serve import free_port
from tests.conftest import POSTGRES_URL, REPO
from tests.test_served import _post, _runs, _wait

APPLICATIONS, COURSE_SEATS, FAIR_SEATS = 50, 15, 10     # half of them ask for the course, half for the fair


def _fresh_prefect_database() -> str:
    import psycopg
    base, name = POSTGRES_URL.rsplit("/", 1)
    name = f"prefect_{name}"
    with psycopg.connect(base + "/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql+asyncpg://" + base.split("://", 1)[1] + "/" + name


def _start_worker(env: dict, home: Path, log: Path) -> subprocess.Popen:
    home.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "onematter.cli", "worker"], cwd=REPO,
                                env=env | {"PREFECT_HOME": str(home)}, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _forms(n: int) -> list[dict]:
    from onematter.casework.samples import sample_form
    forms = []
    for i in range(n):
        form = sample_form(i + 1, key=f"machines-{i}", birth="19850505")
        keep = "training" if i % 2 else "job_fair"             # no supervisor: the workers finish each one
        form["matters"] = {keep: form["matters"][keep]}
        form.pop("materials")                  # papers checked at the window: nothing waits for a scan
        forms.append(form)
    return forms


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_fifty_applications_on_two_machines_and_a_killed_worker(db, env, session, tmp_path):
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.casework.applications import submit_application
    from onematter.config.db import session_scope
    from onematter.casework.intake import parse_intake
    from onematter.config.settings import today
    from onematter.services.handover import submit_to_queue
    from onematter.documents.verification import verify_pdf
    data = sample_catalogue(today())
    next(c for c in data["courses"] if c["code"] == "PX-QCWX-01")["capacity"] = COURSE_SEATS
    next(f for f in data["fairs"] if f["code"] == "ZP-01")["capacity_offline"] = FAIR_SEATS
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(data))

    port, web_port = free_port(), free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base |= {"ONEMATTER_DATABASE_URL": db, "ONEMATTER_WORKER_LEASE_SECONDS": "6",
             "PREFECT_API_DATABASE_CONNECTION_URL": _fresh_prefect_database()}
    server = subprocess.Popen([sys.executable, "-m", "onematter.cli", "serve", "--port", str(port), "--web-port",
                               str(web_port), "--workers", "0"], cwd=REPO, env=base | {"PREFECT_HOME": str(tmp_path / "a")},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    procs: list[subprocess.Popen] = [server]
    try:
        output = []
        while "Ctrl-C" not in (line := server.stdout.readline()):
            output.append(line)
            assert server.poll() is None, "".join(output)
        api = f"http://127.0.0.1:{port}/api"
        machine = base | {"PREFECT_API_URL": api}
        logs = tmp_path / "logs"
        logs.mkdir()
        workers = {name: _start_worker(machine, tmp_path / name, logs / f"{name}.log") for name in ("b", "c")}
        procs += workers.values()

        # fifty clerks press submit at once (what the CLI and the staff page do: a row, then queued)
        forms, numbers, errors = _forms(APPLICATIONS), [], []

        def clerk(form: dict) -> None:
            try:
                with session_scope() as s:
                    app, _ = submit_application(s, parse_intake(form), actor="staff:test")
                numbers.append(app.application_no)
                submit_to_queue(app.id, wait=False)
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(repr(exc))
        threads = [threading.Thread(target=clerk, args=(f,)) for f in forms]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert errors == [] and len(set(numbers)) == APPLICATIONS

        # SIGKILL worker b in the middle of an application: it holds the claim, its run has begun and
        # a matter is decided (the documents take a second more)
        def victim():
            session.rollback()
            for item in session.exec(select(WorkItem).where(WorkItem.state == "running")).all():
                if item.claimed_by.endswith(f"-{workers['b'].pid}") and item.flow_run_id:
                    decided = [c for c in session.exec(select(MatterCase).where(
                        MatterCase.application_id == item.application_id)).all() if c.status != "pending"]
                    if decided:
                        return item
        deadline = time.monotonic() + 120
        while (item := victim()) is None:
            assert time.monotonic() < deadline, "worker b never held an application mid-way"
            time.sleep(0.05)
        os.kill(workers["b"].pid, signal.SIGKILL)
        killed_app, lost_run = item.application_id, item.flow_run_id
        session.rollback()       # killed before it recorded a result (its run is found unfinished below)
        killed_item = session.exec(select(WorkItem).where(WorkItem.application_id == killed_app)).one()
        assert killed_item.state == "running" and killed_item.claimed_by.endswith(f"-{workers['b'].pid}")
        workers["d"] = _start_worker(machine, tmp_path / "d", logs / "d.log")    # a machine comes back
        procs.append(workers["d"])

        def all_done() -> bool:
            session.rollback()
            return session.exec(select(func.count()).select_from(WorkItem).where(WorkItem.state == "done")).one() \
                == APPLICATIONS
        _wait(all_done, 600)
        session.rollback()

        # each application complete, exactly once, with one readable run (two for the one taken over)
        apps = session.exec(select(Application)).all()
        assert len(apps) == APPLICATIONS and {a.status for a in apps} == {"completed"}
        assert len({a.application_no for a in apps}) == APPLICATIONS
        items = {i.application_id: i for i in session.exec(select(WorkItem)).all()}
        assert items[killed_app].attempts == 2 and not items[killed_app].claimed_by.endswith(f"-{workers['b'].pid}")
        assert [i.attempts for a, i in items.items() if a != killed_app] == [1] * (APPLICATIONS - 1)
        killed_no = session.get(Application, killed_app).application_no
        runs = {r["id"]: r for r in _runs(api, f"一件事 {killed_no}")}
        assert runs[lost_run]["state"]["type"] == "CRASHED" and "失联" in runs[lost_run]["state"]["message"]
        assert sorted(r["state"]["type"] for r in runs.values()) == ["COMPLETED", "CRASHED"]
        others = _post(api, "/flow_runs/filter", {"flow_runs": {"name": {"like_": "一件事 "}}})
        assert collections.Counter(r["state"]["type"] for r in others) == {"COMPLETED": APPLICATIONS, "CRASHED": 1}

        # nobody overbooked; nothing done twice, the interrupted one included
        half = APPLICATIONS // 2
        enrolled = collections.Counter(e.status for e in session.exec(select(Enrolment)).all())
        assert enrolled == {"enrolled": COURSE_SEATS, "waitlisted": half - COURSE_SEATS}
        fair = collections.Counter(r.status for r in session.exec(select(FairRegistration)).all())
        assert fair == {"registered": FAIR_SEATS, "waitlisted": half - FAIR_SEATS}
        notes = session.exec(select(Notification)).all()
        assert len(notes) == len({n.key for n in notes})
        transitions = [(e.entity_id, e.from_status, e.to_status) for e in session.exec(select(Event)).all()]
        assert len(transitions) == len(set(transitions))
        docs = session.exec(select(Document)).all()
        kinds = collections.Counter(d.doc_key for d in docs)
        assert kinds["form"] == kinds["receipt"] == kinds["completion"] == kinds["packet"] == APPLICATIONS
        assert len(docs) == 5 * APPLICATIONS                        # and one notice of its matter each
        for doc in docs:                                            # every file is the one registered
            assert verify_pdf(session, Path(doc.path))["result"] == "genuine", doc.doc_key
        assert not list(Path(os.environ["ONEMATTER_DATA_DIR"]).rglob("*.part"))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                os.killpg(p.pid, signal.SIGKILL)
