"""Why the combined-application flow is async: the cost of a flow run with the heartbeat on, sync
vs async, on the embedded default (Prefect's ephemeral server on SQLite). Prints a table with
every run's time: the sync shape pays ~1 s at its end (the heartbeat thread is joined); both shapes
show occasional ~2 s stalls, which are the SQLite-backed server answering "database is locked"
and the client retrying with backoff (set PREFECT_API_LOG_RETRYABLE_ERRORS=true to see them).

    .venv/bin/python bench/heartbeat.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="onematter-bench-hb-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect import flow, task  # noqa: E402
from prefect.futures import wait  # noqa: E402


@task
def unit(i: int) -> int:
    return i


@flow
def sync_shape() -> None:
    wait([unit.submit(i) for i in range(5)])


@flow
async def async_shape() -> None:
    wait([unit.submit(i) for i in range(5)])


@flow
async def async_empty() -> None:
    pass


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(async_shape())                      # start the ephemeral server
    rows = [("sync flow, 5 tasks (heartbeat on)", timed(sync_shape, args.runs)),
            ("async flow, 5 tasks (heartbeat on)", timed(lambda: asyncio.run(async_shape()), args.runs)),
            ("async flow, no task", timed(lambda: asyncio.run(async_empty()), args.runs))]
    print(f"{'shape':<38}{'median s':>10}{'min s':>8}{'max s':>8}")
    print("-" * 64)
    for name, times in rows:
        print(f"{name:<38}{statistics.median(times):>10.2f}{min(times):>8.2f}{max(times):>8.2f}  "
              + " ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
