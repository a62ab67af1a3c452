"""Queries per application: the sample application run through the combined-application flow's
units of work in order (start, each matter, settle, documents, board), counting the SQL statements
each sends and how many of them read matter_cases. Prints a table.

usage: python bench/queries.py"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="onematter-queries-"))
    os.environ.update(ONEMATTER_DATA_DIR=str(work), ONEMATTER_TODAY="2026-11-30",
                      ONEMATTER_DATABASE_URL=f"sqlite:///{work / 'q.db'}")
    import yaml
    from sqlalchemy import event

    from onematter.casework.board import summary_markdown
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.casework.intake import parse_intake
    from onematter.casework.applications import submit_application
    from onematter.config.db import get_engine, session_scope
    from onematter.services.keys import prepare
    from onematter.tasks import cases as tasks
    from onematter.tasks.documents import render_documents
    import datetime as dt
    from bench.rows import demo_seal
    demo_seal(work)
    prepare()            # the data key (made on a new data dir) and the schema
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(dt.date(2026, 11, 30))))
    form = yaml.safe_load((REPO / "examples" / "application.yaml").read_text(encoding="utf-8"))
    with session_scope() as s:
        app, _ = submit_application(s, parse_intake(form), actor="bench")
        app_id, no = app.id, app.application_no
    counts: Counter = Counter()
    phase = ["-"]

    @event.listens_for(get_engine(), "before_cursor_execute")
    def count(conn, cursor, statement, *args):
        counts[(phase[0], "statements")] += 1
        if re.search(r"\bFROM matter_cases\b", statement):
            counts[(phase[0], "matter_cases")] += 1

    steps = [("start", lambda: tasks.start_processing.fn(app_id, no))]
    started = time.perf_counter()
    phase[0] = "start"
    pending = tasks.start_processing.fn(app_id, no)
    ids = list(pending) if isinstance(pending, dict) else pending
    for cid in ids:
        phase[0] = "matters"
        tasks.decide(cid)
    phase[0] = "settle"
    tasks.settle_status.fn(app_id, no)
    phase[0] = "documents"
    render_documents.fn(app_id, no)
    phase[0] = "board"
    with session_scope() as s:
        summary_markdown(s, app_id)
    elapsed = time.perf_counter() - started
    print(f"| unit of work | SQL statements | of which read matter_cases |")
    print(f"| --- | ---: | ---: |")
    for p in ("start", "matters", "settle", "documents", "board"):
        print(f"| {p} | {counts[(p, 'statements')]} | {counts[(p, 'matter_cases')]} |")
    total = sum(v for (p, k), v in counts.items() if k == "statements")
    mc = sum(v for (p, k), v in counts.items() if k == "matter_cases")
    print(f"| **all** | **{total}** | **{mc}** |")
    print(f"\n{len(ids)} matters, {elapsed:.2f} s (documents rendered)")


if __name__ == "__main__":
    main()
