"""Encryption at rest, measured (issue 21): what sealing costs one application at intake (submit,
decide, issue every document: the time spent in the key ring, of the whole), and `onematter keys
rotate` over many persons with their applications (rows per second, memory). Prints tables.

    .venv/bin/python bench/at_rest.py [--applications 20] [--persons 100000]
    ONEMATTER_DATABASE_URL=postgresql://postgres@127.0.0.1/onematter_bench_keys .venv/bin/python bench/at_rest.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


class Timed:
    """Wraps the key ring's methods: how long they took, and how often they ran."""

    def __init__(self):
        self.seconds, self.calls = 0.0, 0

    def wrap(self, cls, name):
        inner = getattr(cls, name)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t
                self.calls += 1
        setattr(cls, name, timed)


def intake(n: int) -> list[tuple]:
    import yaml

    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.issuing import issue_all
    from onematter.casework.processing import process_matter
    from onematter.config.crypto import KeyRing
    from onematter.config.db import session_scope
    from onematter.case.models import Application
    timer = Timed()
    for name in ("encrypt", "decrypt", "hash", "hashes"):
        timer.wrap(KeyRing, name)
    base = yaml.safe_load((REPO / "examples" / "application.yaml").read_text(encoding="utf-8"))
    base.pop("materials")
    totals, sealing, calls = [], [], []
    from stdnum.cn import ric
    for i in range(n + 1):
        body = f"33048219900315{i:03d}"
        form = {**base, "idempotency_key": f"bench-rest-{i}",
                "applicant": {**base["applicant"], "id_number": body + ric.calc_check_digit(body + "0")}}
        timer.seconds, timer.calls = 0.0, 0
        t = time.perf_counter()
        with session_scope() as s:
            app, _ = submit_application(s, parse_intake(form), actor="bench")
            app_id = app.id
        with session_scope() as s:
            for case in matter_cases(s, app_id):
                process_matter(s, case.id)
            settle_application(s, s.get(Application, app_id), actor="bench")
        with session_scope() as s:
            issue_all(s, app_id)
        if i:                                        # the first warms the templates and fonts
            totals.append(time.perf_counter() - t)
            sealing.append(timer.seconds)
            calls.append(timer.calls)
    return [("one application: submit, decide, issue every document", f"{statistics.median(totals) * 1000:.0f} ms"),
            ("  of which in the key ring (seal, open, hash)", f"{statistics.median(sealing) * 1000:.2f} ms "
             f"({statistics.median(sealing) / statistics.median(totals) * 100:.2f} %)"),
            ("  key ring calls per application", f"{statistics.median(calls):.0f}")]


def scan_sealing() -> list[tuple]:
    """What sealing the scans with the same key would cost each view or download (a 300 KB photo,
    a 2 MB and a 10 MB PDF): AES-256-GCM open, against reading the file as it is today."""
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    aead, rows = AESGCM(secrets.token_bytes(32)), []
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in (("300 KB photo", 300_000), ("2 MB PDF", 2_000_000), ("10 MB PDF", 10_000_000)):
            data = os.urandom(size)
            nonce = os.urandom(12)
            sealed = aead.encrypt(nonce, data, b"scan")
            path = Path(tmp) / "scan"
            path.write_bytes(data)
            reads, opens = [], []
            for _ in range(20):
                t = time.perf_counter()
                path.read_bytes()
                reads.append(time.perf_counter() - t)
                t = time.perf_counter()
                aead.decrypt(nonce, sealed, b"scan")
                opens.append(time.perf_counter() - t)
            rows.append((f"a scan, {label}: read as a file / open sealed",
                         f"{statistics.median(reads) * 1000:.2f} ms / {statistics.median(opens) * 1000:.2f} ms"))
    return rows


def rotation(persons: int) -> list[tuple]:
    import resource

    from sqlalchemy import insert
    from sqlmodel import select

    from onematter.case.models import Application, Person
    from onematter.config.crypto import keyring
    from onematter.config.db import session_scope
    from bench.rows import person_row
    from onematter.services import keys
    ring = keyring()
    with session_scope() as s:
        form = s.exec(select(Application)).first().form
    t0 = time.perf_counter()
    for start in range(0, persons, 5000):
        people, apps = [], []
        for i in range(start, min(start + 5000, persons)):
            people.append(person_row(ring, i, born="3304821970", mobile="137", birth=dt.date(1970, 1, 1)))
            pid = people[-1]["id"]
            apps.append({"id": uuid.uuid4(), "application_no": f"PHYJS-19700101-{i:06d}", "idempotency_key": f"rot-{i}",
                         "person_id": pid, "status": "completed", "application_date": dt.date(2020, 1, 1),
                         "deadline": dt.date(2020, 1, 20), "town": "当湖街道", "staff_name": "王珏",
                         "station": "平湖市退役军人服务中心", "policy_version": "bench", "form": form,
                         "materials_tracked": False, "submitted_at": dt.datetime.now(dt.timezone.utc)})
        with session_scope() as s:
            s.execute(insert(Person), people)
            s.execute(insert(Application), apps)
    filled = time.perf_counter() - t0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    done = keys.rotate(batch=1000)
    took = time.perf_counter() - t
    return [(f"filling {persons:,} persons and their applications", f"{filled:.1f} s"),
            ("keys rotate (batch 1000): rows re-sealed", f"{done['rows']:,}"),
            ("  time", f"{took:.1f} s"),
            ("  rows per second", f"{done['rows'] / took:,.0f}"),
            ("  peak memory of the process (before → after)", f"{rss0:.0f} → {done['max_rss_mb']:.0f} MB")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=20)
    parser.add_argument("--persons", type=int, default=100_000)
    args = parser.parse_args()
    from bench.rows import fresh_data_dir
    fresh_data_dir("onematter-bench-rest-", "rest.db")
    os.environ.setdefault("ONEMATTER_TODAY", "2026-11-30")
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.config.db import get_engine, session_scope
    from onematter.config.settings import today
    from onematter.services.keys import prepare
    prepare()            # the data key (made on a new data dir) and the schema
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(today())))
    print(f"database: {get_engine().dialect.name}\n")
    rows = intake(args.applications) + scan_sealing() + rotation(args.persons)
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
