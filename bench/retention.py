"""The retention run over many persons (issue 21): `--persons` persons, each with one application
closed 11 years back and its documents (rows whose PDFs sit in the documents dir), of whom a
tenth still have a later application 9 years back (not due); then the dry run and the real run of
`onematter retention run`, timed, with the peak memory. Prints a table.

    .venv/bin/python bench/retention.py [--persons 100000]
    ONEMATTER_DATABASE_URL=postgresql://postgres@127.0.0.1/onematter_bench_retention .venv/bin/python bench/retention.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DOCS_PER_APPLICATION = 3


def populate(n: int) -> None:
    from sqlalchemy import insert

    from onematter.case.models import Application, Document, Person
    from onematter.config.crypto import keyring
    from onematter.config.db import session_scope
    from onematter.config.settings import get_settings
    from bench.rows import person_row
    ring = keyring()
    form = {"applicant": {"name": "测试", "id_number": "", "mobile": "", "category": "军士", "placement": "自主就业",
                          "education": "高中", "town": "当湖街道"}, "matters": {"job_push": {}}}
    docs_dir = get_settings().documents_dir
    for start in range(0, n, 5000):
        people, apps, docs = [], [], []
        for i in range(start, min(start + 5000, n)):
            people.append(person_row(ring, i, born="3304821960", mobile="136", birth=dt.date(1960, 5, 5)))
            pid, number = people[-1]["id"], people[-1]["id_number"]
            closings = [dt.date(2015, 10, 1)] + ([dt.date(2017, 10, 1)] if i % 10 == 0 else [])
            for k, closed in enumerate(closings):
                aid, no = uuid.uuid4(), f"PHYJS-{closed:%Y%m%d}-{i:06d}{k}"
                apps.append({"id": aid, "application_no": no, "idempotency_key": f"ret-{i}-{k}", "person_id": pid,
                             "status": "completed", "application_date": closed, "deadline": closed,
                             "town": "当湖街道", "staff_name": "王珏", "station": "平湖市退役军人服务中心",
                             "policy_version": "bench", "form": {**form, "applicant": {**form["applicant"],
                                                                                       "id_number": number}},
                             "materials_tracked": False, "submitted_at": dt.datetime.now(dt.timezone.utc),
                             "completed_at": dt.datetime.combine(closed, dt.time(10), dt.timezone.utc)})
                for d in range(DOCS_PER_APPLICATION):
                    docs.append({"id": uuid.uuid4(), "application_id": aid, "doc_key": f"k{d}", "kind": "notice",
                                 "title": "通知书", "document_no": f"{no}-{d:02d}", "template": "x.html",
                                 "context_sha256": "", "context": {"applicant": {"id_number": number}},
                                 "verification_code": "ABCD", "pdf_sha256": "0" * 64, "content_sha256": "0" * 64,
                                 "path": str(docs_dir / no / f"{d:02d}-k{d}.pdf"), "pages": 1, "size_bytes": 0,
                                 "created_at": dt.datetime.now(dt.timezone.utc)})
        with session_scope() as s:
            s.execute(insert(Person), people)
            s.execute(insert(Application), apps)
            s.execute(insert(Document), docs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    args = parser.parse_args()
    from bench.rows import fresh_data_dir
    fresh_data_dir("onematter-bench-retention-", "retention.db")
    os.environ["ONEMATTER_TODAY"] = "2026-11-30"
    from onematter.casework.retention import run
    from onematter.config.db import get_engine
    from onematter.services.keys import prepare
    prepare()
    t = time.perf_counter()
    populate(args.persons)
    filled = time.perf_counter() - t
    t = time.perf_counter()
    plan = run(dry_run=True)
    planned = time.perf_counter() - t
    t = time.perf_counter()
    done = run()
    took = time.perf_counter() - t
    again = time.perf_counter()
    second = run()
    again = time.perf_counter() - again
    rows = [("database", get_engine().dialect.name),
            (f"filling {args.persons:,} persons (a tenth with a later application)", f"{filled:.1f} s"),
            ("due (dry run): persons / applications / documents", f"{plan['persons']:,} / {plan['applications']:,} / "
                                                                f"{plan['document_files']:,} in {planned:.1f} s"),
            ("the run: persons anonymised", f"{done['done']['anonymised']:,} in {took:.1f} s "
                                            f"({done['done']['anonymised'] / took:,.0f} persons/s)"),
            ("a second run (nothing due)", f"{second['persons']} in {again:.1f} s"),
            ("peak memory of the process", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
