"""Follow-ups at a bureau's scale: the job digest for N subscribers × M postings (generated), its
time and peak memory, the delivery flow's messages per second against a local webhook sink, and
the monthly report over K applications in one month.
Prints a table.

    .venv/bin/python bench/followups.py [--subscribers 50000] [--postings 5000] [--messages 2000]
                                        [--applications 100000]   (the monthly report over them)
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

    from onematter.config.db import session_scope
    from onematter.case.models import Person
    from onematter.matters.job_push.models import JobSubscription, Posting
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


def seed_applications(n: int, month: dt.date) -> None:
    """`n` applications in `month` (the report's worst case: a year's intake in one month), each
    with 2–3 matters in their final statuses, an approved incentive with its schedule for one in
    ten, and a notification each."""
    from sqlalchemy import insert

    from onematter.config.db import session_scope
    from onematter.case.models import Application, Decision, MatterCase, Notification, Person
    from onematter.matters.employer_incentive.models import IncentiveClaim, IncentiveYear
    rnd = random.Random(11)
    tz = dt.timezone(dt.timedelta(hours=8))
    outcomes = {"training": ["enrolled", "waitlisted", "refused"], "job_push": ["pushed"],
                "job_fair": ["registered", "waitlisted"], "education": ["registered", "refused"],
                "employer_incentive": ["approved", "rejected"]}
    batch: dict[type, list] = {t: [] for t in (Person, Application, MatterCase, Decision, IncentiveClaim,
                                                IncentiveYear, Notification)}

    def flush(s) -> None:
        for table, rows in batch.items():
            if rows:
                s.execute(insert(table), rows)
                rows.clear()
    with session_scope() as s:
        for i in range(n):
            day = month + dt.timedelta(days=rnd.randrange(28))
            at = dt.datetime(day.year, day.month, day.day, 10, tzinfo=tz)
            person = uuid.uuid4()
            batch[Person].append({"id": person, "id_number": f"R{i:017d}", "name": "测试", "mobile": f"138{i:08d}",
                                  "birth_date": dt.date(1990, 1, 1), "sex": "男", "created_at": at})
            app = uuid.uuid4()
            deadline = day + dt.timedelta(days=14)
            done = at + dt.timedelta(days=rnd.choice([0, 3, 10, 20]))
            batch[Application].append({"id": app, "application_no": f"PHYJS-R-{i:07d}", "idempotency_key": f"r-{i}",
                                       "person_id": person, "status": "completed", "application_date": day,
                                       "deadline": deadline, "town": rnd.choice(TOWNS), "staff_name": "王珏",
                                       "station": "平湖市退役军人服务中心", "policy_version": "2026.11-3", "form": {},
                                       "submitted_at": at, "completed_at": done})
            for matter in rnd.sample(list(outcomes), rnd.choice([2, 3])):
                case = uuid.uuid4()
                status = rnd.choice(outcomes[matter])
                batch[MatterCase].append({"id": case, "application_id": app, "matter": matter, "status": status,
                                          "request": {}, "details": {}, "deadline": deadline,
                                          "policy_version": "2026.11-3", "decided_at": done})
                if matter == "employer_incentive":
                    batch[Decision].append({"id": uuid.uuid4(), "matter_case_id": case, "approved": status == "approved",
                                            "decided_by": "李科长", "comment": None, "source": "cli", "decided_at": done})
                    if status == "approved":
                        claim = uuid.uuid4()
                        batch[IncentiveClaim].append({"id": claim, "matter_case_id": case, "employer_name": "示例企业",
                                                      "employer_code": "91330482MA2B3C4D5Y", "position": "技术员",
                                                      "contract_start": day, "contract_end": day + dt.timedelta(days=1095),
                                                      "social_insurance_start": day, "rate_yuan": 750,
                                                      "window_start": day, "total_yuan": 18750, "created_at": at})
                        for k, year in enumerate(range(day.year, day.year + 3)):
                            batch[IncentiveYear].append({"id": uuid.uuid4(), "claim_id": claim, "year": year, "months": 12 if k else 1,
                                                         "amount_yuan": 9000 if k else 750, "status": "scheduled"})
            batch[Notification].append({"id": uuid.uuid4(), "key": f"r-{i}", "application_id": app, "person_id": person,
                                        "kind": "receipt", "payload": {}, "status": rnd.choice(["sent", "sent", "failed"]),
                                        "audience": "veteran", "created_at": at})
            if len(batch[MatterCase]) >= 5000:
                flush(s)
        flush(s)


def report_figures(month: dt.date) -> tuple[float, float, int, dict]:
    """The monthly report (figures, PDF, CSV): time, peak memory, pages."""
    from onematter.config.db import session_scope
    from onematter.casework.report import render_report
    t0 = time.perf_counter()
    with session_scope(readonly=True) as s:
        out = render_report(s, month, Path(tempfile.mkdtemp(prefix="onematter-bench-report-")))
    return time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--postings", type=int, default=5_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--applications", type=int, default=100_000, help="for the monthly report")
    parser.add_argument("--digest-only", action="store_true", help="the job digest alone (bench/served.py)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onematter-bench-followups-"))
    os.environ["ONEMATTER_DATA_DIR"] = str(work)
    from sqlmodel import select

    from onematter.config.db import session_scope
    from onematter.services.keys import prepare
    from onematter.matters.job_push.followups import job_digest
    from onematter.case.models import Notification
    from onematter.followups.outbox import deliver_due
    from bench.rows import demo_seal
    demo_seal(work)
    prepare()            # the data key (made on a new data dir) and the schema
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
    if args.digest_only:
        print(f"job digest {args.subscribers:,} × {args.postings:,}: {written:,} messages in {digest:.1f} s "
              f"(run again: {again} in {rerun:.1f} s; peak {peak // 1024} MB)")
        return

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
    from onematter.config.settings import get_settings
    get_settings.cache_clear()
    # the cap is per number per day: the first messages of distinct people, at 10:00
    t0 = time.perf_counter()
    counts = deliver_due(dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))), limit=args.messages)
    delivery = time.perf_counter() - t0
    with session_scope(readonly=True) as s:
        pending = len(s.exec(select(Notification.id).where(Notification.status == "pending")).all())
    month = dt.date(2026, 11, 1)
    t0 = time.perf_counter()
    seed_applications(args.applications, month)
    seeded_apps = time.perf_counter() - t0
    report_s, report_rss, _, report = report_figures(month)
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
        ("monthly report: applications in the month", f"{report['figures']['applications']:,} (seeded in {seeded_apps:.1f} s)"),
        ("monthly report: figures + PDF + CSV, s", f"{report_s:.1f}"),
        ("monthly report: peak memory (max RSS, whole bench), MB", f"{report_rss // 1024}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value\n" + "-" * (width + 30))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
