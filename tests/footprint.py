"""What a running `onematter serve` costs, read from /proc: its processes (serve, the Prefect
server, the workers, whatever they started), their memory and CPU, and the connections to our
PostgreSQL database. Used by tests/test_waiting_decisions.py and bench/waiting.py."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(root: int) -> list[int]:
    """`root` and every process descended from it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _stat(pid: int) -> tuple[int, int]:
    """(CPU ticks used, resident bytes) of one process; (0, 0) when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0, 0


@dataclass(frozen=True)
class Footprint:
    processes: int
    rss_mb: float
    idle_cpu: float             # cores used over the window, doing nothing asked of it
    connections: int | None     # to our PostgreSQL database (None on SQLite)

    def row(self, label: str) -> str:
        conns = "–" if self.connections is None else str(self.connections)
        return f"| {label} | {self.processes} | {self.rss_mb:,.0f} | {conns} | {self.idle_cpu:.3f} |"


def connections(database_url: str) -> int | None:
    if not database_url.startswith("postgresql"):
        return None
    import psycopg
    name = database_url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        return conn.execute("select count(*) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
                            (name,)).fetchone()[0]


def measure(root: int, database_url: str, *, window: float = 10.0) -> Footprint:
    """The stack's footprint now, its CPU over `window` seconds."""
    pids = tree(root)
    before = {pid: _stat(pid)[0] for pid in pids}
    time.sleep(window)
    pids = tree(root)
    after = {pid: _stat(pid) for pid in pids}
    ticks = sum(t - before.get(pid, 0) for pid, (t, _) in after.items() if pid in before)
    return Footprint(processes=len(pids), rss_mb=sum(r for _, r in after.values()) / 2**20,
                     idle_cpu=ticks / TICKS / window, connections=connections(database_url))
