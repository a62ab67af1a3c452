"""The served path against the work it does. For each database (PostgreSQL for both ours and the
Prefect server's; SQLite for both): the bare rendering time of the sample application's
documents in a warm process, the served median from submission to the packet written and to
completed (through the queue and the warm workers of `onematter serve`), their ratio, and
applications per minute with 2 workers and 8 concurrent submitters against the rendering floor
(cores × 60 ÷ bare seconds). Then the cold first application in a new data dir after `init-db`
(what `make demo` does), and the CLI's start-up per command (bench/cli_startup.py). Prints a table.

    .venv/bin/python bench/served.py [--runs 10] [--submitters 8] [--per-submitter 5] [--databases postgresql,sqlite]

PostgreSQL at ONEMATTER_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432); the bench
creates its own databases there (onematter_bench, prefect_bench), dropping earlier ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
POSTGRES = os.environ.get("ONEMATTER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def _form(i: int) -> dict:
    from onematter.casework.samples import sample_form
    form = sample_form(i, key=f"served-{i}", birth="19800101")
    form["matters"].pop("employer_incentive")      # no supervisor: time the application itself
    form.pop("materials")                          # papers checked at the window: no scans to wait for
    return form


def _submit(i: int):
    from onematter.casework.applications import submit_application
    from onematter.config.db import session_scope
    from onematter.casework.intake import parse_intake
    with session_scope() as s:
        app, _ = submit_application(s, parse_intake(_form(i)), actor="bench")
    return app


def bare_seconds(runs: int = 3) -> float:
    """Deciding and rendering one sample application in this (warm) process, no Prefect."""
    from onematter.casework.applications import matter_cases, settle_application
    from onematter.config.db import session_scope
    from onematter.documents.render import warm_fonts
    from onematter.casework.issuing import issue_all_unlocked
    from onematter.case.models import Application
    from onematter.casework.processing import process_matter
    warm_fonts()
    times = []
    for i in range(runs):
        app = _submit(900 + i)
        t0 = time.perf_counter()
        with session_scope() as s:
            for case in matter_cases(s, app.id):
                process_matter(s, case.id)
            settle_application(s, s.get(Application, app.id), actor="bench")
        issue_all_unlocked(app.id)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def served_one(i: int, poll: float = 0.05) -> tuple[float, float]:
    """Submission → packet written, → completed (the worker's item done), in seconds; `poll`: how
    often the submitter looks (the burst's submitters look as the CLI does, every 0.2 s)."""
    from sqlmodel import select

    from onematter.config.db import session_scope
    from onematter.case.models import Document, WorkItem
    from onematter.services.handover import submit_to_queue
    t0 = time.perf_counter()
    app = _submit(i)
    submit_to_queue(app.id, wait=False)
    packet = None
    while True:
        with session_scope(readonly=True) as s:
            if packet is None and s.exec(select(Document).where(Document.application_id == app.id,
                                                                Document.kind == "packet")).first():
                packet = time.perf_counter() - t0
            if s.exec(select(WorkItem).where(WorkItem.application_id == app.id)).one().state == "done":
                return packet if packet is not None else time.perf_counter() - t0, time.perf_counter() - t0
        time.sleep(poll)


def decided_one(i: int) -> float:
    """A supervisor's decision on the staff page (recorded, its documents queued, the page not
    held) → the final packet written by a warm worker, in seconds."""
    from sqlmodel import select

    from onematter.casework.applications import submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.samples import sample_form
    from onematter.case.models import Document, WorkItem
    from onematter.config.db import session_scope
    from onematter.services import decisions
    from onematter.services.handover import submit_to_queue
    form = sample_form(i, key=f"served-decided-{i}", birth="19800101")
    form.pop("materials")
    with session_scope() as s:
        app, _ = submit_application(s, parse_intake(form), actor="bench")
    submit_to_queue(app.id, wait=True)
    t0 = time.perf_counter()
    decisions.decide(application_no=app.application_no, matter=None, approve=True, by="李科长", comment="材料齐全",
                     source="web", background=True)
    packet = None
    while True:
        with session_scope(readonly=True) as s:
            if packet is None and s.exec(select(Document).where(Document.application_id == app.id,
                                                                Document.doc_key == "packet")).first():
                packet = time.perf_counter() - t0
            if packet is not None and s.exec(select(WorkItem).where(WorkItem.application_id == app.id)).one().state == "done":
                return packet
        time.sleep(0.05)


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far by role: the warm workers, the Prefect server, `serve` itself (runner,
    staff page), PostgreSQL, this bench (the submitters)."""
    tick = os.sysconf("SC_CLK_TCK")
    roles: dict[str, float] = {"workers": 0.0, "prefect server": 0.0, "serve": 0.0, "postgresql": 0.0, "bench": 0.0}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        if cmd.startswith("postgres") and int(fields[1]) == 1:      # the postmaster: its ended backends too
            used += (int(fields[13]) + int(fields[14])) / tick
        if "onematter.cli worker" in cmd:
            roles["workers"] += used
        elif "prefect server start" in cmd or "prefect.server.api.server" in cmd:
            roles["prefect server"] += used
        elif "onematter.cli serve" in cmd:
            roles["serve"] += used
        elif cmd.startswith("postgres"):
            roles["postgresql"] += used
        elif int(proc.name) == os.getpid():
            roles["bench"] += used
    return roles


def one_database(database: str, args) -> dict:
    """Runs in its own process: a fresh data dir and databases, a served stack, the figures."""
    import stack
    env = {}
    if database == "postgresql":
        import psycopg
        with psycopg.connect(POSTGRES + "/postgres", autocommit=True) as conn:
            for name in ("onematter_bench", "prefect_bench"):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        env = {"ONEMATTER_DATABASE_URL": POSTGRES + "/onematter_bench",
               "PREFECT_API_DATABASE_CONNECTION_URL": "postgresql+asyncpg://" + POSTGRES.split("://", 1)[1] + "/prefect_bench"}
    os.environ |= env
    stack.prepare("onematter-bench-served-")
    bare = bare_seconds()
    proc, port, _ = stack.start(workers=args.workers)
    try:
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
        served_one(0)                                   # the workers' first application
        results = [served_one(i) for i in range(1, args.runs + 1)]
        decided = [decided_one(500 + i) for i in range(args.runs)]
        done: list[float] = []

        def submitter(k: int) -> None:
            for j in range(args.per_submitter):
                done.append(served_one(100 + k * 100 + j, poll=0.2)[1])
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        threads = [threading.Thread(target=submitter, args=(k,)) for k in range(args.submitters)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        elapsed = time.perf_counter() - t0
        cpu = {k: (v - cpu0[k]) / len(done) for k, v in cpu_seconds().items()}
    finally:
        stack.stop(proc)
    cores = os.cpu_count() or 1
    floor = cores * 60 / bare
    return {"database": database, "bare": bare, "packet": statistics.median(r[0] for r in results),
            "completed": statistics.median(r[1] for r in results), "decided": statistics.median(decided),
            "decided_max": max(decided), "min": min(r[1] for r in results),
            "max": max(r[1] for r in results), "per_minute": len(done) / elapsed * 60, "floor": floor,
            "cores": cores, "cpu": cpu}


def cold_first() -> float:
    """A new data dir: `init-db` (as `make demo` does), then the first `onematter apply` timed."""
    import tempfile
    work = Path(tempfile.mkdtemp(prefix="onematter-bench-cold-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEMATTER_", "PREFECT_"))}
    env["ONEMATTER_DATA_DIR"] = str(work)
    cli = [sys.executable, "-m", "onematter.cli"]
    for step in (["init-db"], ["catalog", "sample", str(work / "c.yaml")], ["catalog", "import", str(work / "c.yaml")]):
        subprocess.run(cli + step, env=env, cwd=REPO, check=True, capture_output=True)
    t0 = time.perf_counter()
    subprocess.run(cli + ["apply", str(REPO / "examples" / "application.yaml"), "--json"], env=env, cwd=REPO,
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--submitters", type=int, default=8)
    parser.add_argument("--per-submitter", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(one_database(args.one, args)))
        return
    rows = []
    for database in args.databases.split(","):
        done = subprocess.run([sys.executable, __file__, "--one", database, "--runs", str(args.runs), "--submitters",
                               str(args.submitters), "--per-submitter", str(args.per_submitter), "--workers",
                               str(args.workers)], capture_output=True, text=True, cwd=REPO)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"{database}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        rows.append(json.loads(line.removeprefix("RESULT ")))
    width = 58
    print(f"{'measure':<{width}}  " + "  ".join(f"{r['database']:>12}" for r in rows))
    print("-" * (width + 14 * len(rows)))

    def row(label: str, fmt) -> None:
        print(f"{label:<{width}}  " + "  ".join(f"{fmt(r):>12}" for r in rows))
    row("bare: decide + render the sample's documents, warm, s", lambda r: f"{r['bare']:.2f}")
    row(f"served: submission → packet written, median of {args.runs}, s", lambda r: f"{r['packet']:.2f}")
    row(f"served: submission → completed, median of {args.runs}, s", lambda r: f"{r['completed']:.2f}")
    row("served: completed, min / max, s", lambda r: f"{r['min']:.2f}/{r['max']:.2f}")
    row("served/bare ratio (targets ≤ 1.3 PostgreSQL, ≤ 1.5 SQLite)", lambda r: f"{r['completed'] / r['bare']:.2f}")
    row(f"decision → final packet written, median of {args.runs}, s", lambda r: f"{r['decided']:.2f}")
    row("decision → final packet, max, s", lambda r: f"{r['decided_max']:.2f}")
    row("decision/bare ratio", lambda r: f"{r['decided'] / r['bare']:.2f}")
    row(f"{args.workers} workers, {args.submitters} submitters × {args.per_submitter}: per minute",
        lambda r: f"{r['per_minute']:.1f}")
    row("rendering floor (cores × 60 ÷ bare): per minute", lambda r: f"{r['floor']:.1f}")
    row("throughput/floor (target ≥ 0.8)", lambda r: f"{r['per_minute'] / r['floor']:.2f}")
    for role in rows[0]["cpu"]:
        row(f"  under that load, CPU s per application: {role}", lambda r, role=role: f"{r['cpu'][role]:.2f}")
    cold = cold_first()
    print(f"\ncold first application after init-db (embedded, SQLite): {cold:.2f} s (target ≤ 10)\n")
    if "postgresql" in args.databases:
        import psycopg
        with psycopg.connect(POSTGRES + "/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "onematter_bench_digest" WITH (FORCE)')
            conn.execute('CREATE DATABASE "onematter_bench_digest"')
        env = dict(os.environ, ONEMATTER_DATABASE_URL=POSTGRES + "/onematter_bench_digest")
        digest = subprocess.run([sys.executable, str(REPO / "bench" / "followups.py"), "--digest-only"], cwd=REPO,
                                env=env, capture_output=True, text=True)
        print("PostgreSQL: " + (digest.stdout.strip().splitlines() or [digest.stderr[-500:]])[-1] + " (target ≤ 30 s)\n")
    subprocess.run([sys.executable, str(REPO / "bench" / "cli_startup.py"), "--runs", "3"], cwd=REPO)
    main_row = rows[0]
    print(f"\nserved/bare ratio: {main_row['completed'] / main_row['bare']:.2f}; "
          f"decision/bare ratio: {main_row['decided'] / main_row['bare']:.2f}; "
          f"throughput/floor: {main_row['per_minute'] / main_row['floor']:.2f}")


if __name__ == "__main__":
    main()
