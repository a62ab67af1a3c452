"""Decisions waiting cost rows, not processes. For each database (PostgreSQL for ours and the
Prefect server's; SQLite for both), on `onematter serve` with 2 workers: the stack's processes,
memory (RSS of the whole process tree), connections to our database and idle CPU (over 20 s) with
0, 50 and 300 employer incentives waiting for a supervisor; the time to open the forms; a form
submitted through Prefect's API as the UI does → the final packet written (median of 10); and
SIGTERM → everything stopped, with 300 waiting. Prints a table.

    .venv/bin/python bench/waiting.py [--databases postgresql,sqlite] [--window 20]

PostgreSQL at ONEMATTER_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432); the bench
creates its own databases there (onematter_bench, prefect_bench), dropping earlier ones.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
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
COUNTS = (0, 50, 300)


def _paused(api: str) -> int:
    import httpx
    n, offset = 0, 0
    while True:
        page = httpx.post(f"{api}/flow_runs/filter", timeout=30, json={
            "deployments": {"name": {"any_": ["matter-decision"]}}, "flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}},
            "limit": 200, "offset": offset}).json()
        n += len(page)
        offset += 200
        if len(page) < 200:
            return n


def _packet_after_form(api: str, no: str) -> float:
    """Resume the form as the UI does; seconds until the final packet is in our database."""
    import httpx
    from sqlmodel import select

    from onematter.case.models import Application, Document
    from onematter.config.db import session_scope
    run = httpx.post(f"{api}/flow_runs/filter", timeout=30,
                     json={"flow_runs": {"name": {"any_": [f"审核 {no} 企业吸纳优惠"]}}}).json()[0]
    t0 = time.perf_counter()
    for _ in range(20):            # the SQLite-backed server answers 503 ("database is locked"): as the UI, again
        r = httpx.post(f"{api}/flow_runs/{run['id']}/resume", timeout=30,
                       json={"run_input": {"decision": "通过", "decided_by": "李科长", "comment": "已核"}})
        if r.status_code != 503:
            break
        time.sleep(0.5)
    assert r.status_code == 201 and r.json().get("status") == "ACCEPT", f"{r.status_code} {r.text[:300]}"
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        with session_scope() as s:
            app = s.exec(select(Application).where(Application.application_no == no)).one()
            if s.exec(select(Document).where(Document.application_id == app.id, Document.doc_key == "packet")).first():
                return time.perf_counter() - t0
        time.sleep(0.05)
    raise SystemExit(f"{no}: no packet 300 s after the form was submitted")


def one_database(database: str, window: float) -> dict:
    import stack

    from tests.footprint import measure, tree
    if database == "postgresql":
        import psycopg
        with psycopg.connect(POSTGRES + "/postgres", autocommit=True) as conn:
            for name in ("onematter_bench", "prefect_bench"):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ |= {"ONEMATTER_DATABASE_URL": POSTGRES + "/onematter_bench",
                       "PREFECT_API_DATABASE_CONNECTION_URL": "postgresql+asyncpg://" + POSTGRES.split("://", 1)[1] + "/prefect_bench"}
    work = stack.prepare("onematter-bench-waiting-")
    from onematter.config.settings import get_settings
    url = get_settings().resolved_database_url
    proc, port, _ = stack.start(workers=2)
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    api = f"http://127.0.0.1:{port}/api"
    os.environ["PREFECT_API_URL"] = api
    from onematter.casework.samples import submit_waiting
    from onematter.flows import forms
    rows, numbers, opening = [], [], {}
    try:
        for count in COUNTS:
            if count > len(numbers):
                numbers += submit_waiting(count - len(numbers), first=len(numbers))
                t0 = time.perf_counter()
                asyncio.run(forms.repair(lost_before=dt.datetime.now(dt.timezone.utc)))
                while _paused(api) < count:
                    time.sleep(0.5)
                opening[count] = time.perf_counter() - t0
            rows.append((count, measure(proc.pid, url, window=window)))
        latencies = [_packet_after_form(api, no) for no in numbers[:10]]
        everything = tree(proc.pid)
        t0 = time.perf_counter()
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(120)
        while any(Path(f"/proc/{pid}").exists() for pid in everything) and time.perf_counter() - t0 < 120:
            time.sleep(0.05)
        stopped = time.perf_counter() - t0
    finally:
        if proc.poll() is None:          # SIGTERM: serve stops its Prefect server (its own session) too
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(120)
    return {"database": database, "rows": [(c, f.__dict__) for c, f in rows], "opening": opening,
            "latency": statistics.median(latencies), "latency_max": max(latencies), "stopped": stopped,
            "data": str(work)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_database(args.one, args.window)))
        return
    results = []
    for database in args.databases.split(","):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEMATTER_", "PREFECT_"))}
        done = subprocess.run([sys.executable, __file__, "--one", database, "--window", str(args.window)],
                              env=env, cwd=REPO, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stdout[-2000:] + done.stderr[-4000:])
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    from tests.footprint import Footprint
    print("| database | waiting | processes | RSS (MB) | connections | idle CPU (cores) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        for count, f in r["rows"]:
            print(Footprint(**f).row(f"{r['database']} | {count}"))
    print()
    print("| database | forms opened (s): 50 / +250 | form submitted → packet, median of 10 (max) | SIGTERM → all stopped, 300 waiting |")
    print("| --- | ---: | ---: | ---: |")
    for r in results:
        o = r["opening"]
        print(f"| {r['database']} | {o.get('50', 0):.1f} / {o.get('300', 0):.1f} | {r['latency']:.2f} s ({r['latency_max']:.2f}) "
              f"| {r['stopped']:.1f} s |")


if __name__ == "__main__":
    main()
