"""Follow-ups at a bureau's scale: the job digest for N subscribers × M postings (generated), its
time and peak memory, and the delivery flow's messages per second against a local webhook sink.
Prints a table.

    .venv/bin/python bench/followups.py [--subscribers 50000] [--postings 5000] [--messages 2000]
    ONEMATTER_DATABASE_URL=postgresql://postgres@127.0.0.1/onematter_bench .venv/bin/python bench/followups.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CATEGORIES = ["制造", "物流", "安保", "电商", "驾驶", "建筑", "餐饮", "物业", "维修", "销售"]
TOWNS = ["当湖街道", "钟埭街道", "曹桥街道", "乍浦镇", "新埭镇", "新仓镇", "独山港镇", "广陈镇", "林埭镇"]
EDUCATION = ["初中", "高中", "中专", "大专", "本科"]


def seed(subscribers: int, postings: int, day: dt.date) -> None:
    from sqlalchemy import insert

    from onematter.db import session_scope
    from onematter.models import JobSubscription, Person, Posting
    rnd = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc)
    with session_scope() as s:
        people = [{"id": uuid.uuid4(), "id_number": f"B{i:017d}", "name": "测试", "mobile": f"139{i:08d}",
                   "birth_date": dt.date(1990, 1, 1), "sex": "男", "created_at": now} for i in range(subscribers)]
        for i in range(0, len(people), 5000):
            s.execute(insert(Person), people[i:i + 5000])
        subs = [{"id": uuid.uuid4(), "person_id": p["id"], "active": True, "education": rnd.choice(EDUCATION),
                 "categories": rnd.sample(CATEGORIES, rnd.choice([0, 1, 2])),
                 "towns": rnd.sample(TOWNS, rnd.choice([0, 1, 3])),
                 "min_salary": rnd.choice([None, 5000, 7000]), "created_at": now} for p in people]
        for i in range(0, len(subs), 5000):
            s.execute(insert(JobSubscription), subs[i:i + 5000])
        rows = []
        for i in range(postings):
            low = rnd.randrange(4000, 9000, 500)
            rows.append({"id": uuid.uuid4(), "code": f"B-{i:05d}", "employer": "示例企业", "employer_code": "91330482MA2B3C4D5Y",
                         "title": f"岗位{i}", "category": rnd.choice(CATEGORIES), "town": rnd.choice(TOWNS),
                         "salary_min": low, "salary_max": low + rnd.randrange(1000, 5000, 500),
                         "education_min": rnd.choice(EDUCATION[:4]), "headcount": 1,
                         "veteran_preferred": rnd.random() < 0.3, "valid_until": day + dt.timedelta(days=rnd.randint(1, 60)),
                         "contact": None})
        s.execute(insert(Posting), rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--postings", type=int, default=5_000)
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onematter-bench-followups-"))
    os.environ["ONEMATTER_DATA_DIR"] = str(work)
    from sqlmodel import select

    from onematter.db import init_db, session_scope
    from onematter.followups import job_digest
    from onematter.models import Notification
    from onematter.outbox import deliver_due
    init_db()
    day = dt.date(2026, 12, 1)
    t0 = time.perf_counter()
    seed(args.subscribers, args.postings, day)
    seeded = time.perf_counter() - t0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with session_scope() as s:
        written = job_digest(s, day)
    digest = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with session_scope() as s:
        again = job_digest(s, day)
    rerun = time.perf_counter() - t0

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass
    from http.server import ThreadingHTTPServer
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["ONEMATTER_NOTIFY_VETERAN_URLS"] = f"json://127.0.0.1:{server.server_address[1]}/sms"
    from onematter.settings import get_settings
    get_settings.cache_clear()
    # the cap is per number per day: the first messages of distinct people, at 10:00
    t0 = time.perf_counter()
    counts = deliver_due(dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))), limit=args.messages)
    delivery = time.perf_counter() - t0
    with session_scope(readonly=True) as s:
        pending = len(s.exec(select(Notification.id).where(Notification.status == "pending")).all())
    rows = [
        ("database", os.environ.get("ONEMATTER_DATABASE_URL", "SQLite file").split("@")[-1]),
        ("generated: subscribers × postings", f"{args.subscribers:,} × {args.postings:,} (seeded in {seeded:.1f} s)"),
        ("job digest: messages written", f"{written:,}"),
        ("job digest: time, s", f"{digest:.1f}"),
        ("job digest: peak memory (max RSS), MB", f"{peak // 1024} (before: {rss0 // 1024})"),
        ("job digest run again: written / time, s", f"{again} / {rerun:.1f}"),
        (f"delivery of {args.messages:,} messages: sent / time, s", f"{counts['sent']:,} / {delivery:.1f}"),
        ("delivery: messages per second", f"{counts['sent'] / delivery:.0f}"),
        ("still pending", f"{pending:,}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value\n" + "-" * (width + 30))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
