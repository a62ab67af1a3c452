"""The served path: time from submission to completed run through the `combined-application`
deployment (median of N), and runs per minute with 2 concurrent submitters. Starts its own
`onematter serve` on free loopback ports and stops it. Prints a table.

    .venv/bin/python bench/served.py [--runs 10] [--concurrent 2] [--per-submitter 5]
    ONEMATTER_DATABASE_URL=postgresql://postgres@127.0.0.1/onematter_bench \
    PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://postgres@127.0.0.1/prefect_bench \
        .venv/bin/python bench/served.py        # both databases on PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=2)
    parser.add_argument("--per-submitter", type=int, default=5)
    args = parser.parse_args()
    import stack
    from onematter.db import session_scope
    stack.prepare("onematter-bench-served-")
    proc, port, _ = stack.start()
    try:
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
        from onematter.cases import submit_application
        from onematter.cli import submit_to_deployment
        from onematter.intake import parse_intake
        from onematter.samples import sample_form

        def one(i: int) -> float:
            form = sample_form(i, key=f"served-{i}", birth="19800101")
            form["matters"].pop("employer_incentive")      # no decision run: time the application itself
            t0 = time.perf_counter()
            with session_scope() as s:
                app, _ = submit_application(s, parse_intake(form), actor="bench")
            submit_to_deployment(app.id, app.application_no, wait=True)
            return time.perf_counter() - t0

        one(0)
        times = [one(i) for i in range(1, args.runs + 1)]
        done: list[float] = []

        def submitter(k: int) -> None:
            for j in range(args.per_submitter):
                done.append(one(100 + k * 100 + j))

        t0 = time.perf_counter()
        threads = [threading.Thread(target=submitter, args=(k,)) for k in range(args.concurrent)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        elapsed = time.perf_counter() - t0
        rows = [
            ("application database", os.environ.get("ONEMATTER_DATABASE_URL", "SQLite file").split("@")[-1]),
            ("Prefect server database", "PostgreSQL" if os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL") else "SQLite"),
            (f"submission → completed, median of {args.runs}, s", f"{statistics.median(times):.2f}"),
            ("min / max, s", f"{min(times):.2f} / {max(times):.2f}"),
            (f"{args.concurrent} concurrent submitters × {args.per_submitter}: runs/min", f"{len(done) / elapsed * 60:.1f}"),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"{'measure':<{width}}  value\n" + "-" * (width + 12))
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
    finally:
        stack.stop(proc)


if __name__ == "__main__":
    main()
