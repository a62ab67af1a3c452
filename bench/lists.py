"""The staff page's lists with 10,000 applications across the ten stations: the case list (a
supervisor's, a station clerk's, a search), the supervisor's queue, 我的待办 and the CSV export of
every row, timed in-process through the web app (FastAPI's TestClient: the route, the queries,
the template; no network). Prints a table. `bench/web.py --lists` runs it too.

    .venv/bin/python bench/lists.py [--applications 10000] [--runs 5]
    ONEMATTER_DATABASE_URL=postgresql://postgres@127.0.0.1/onematter_bench_lists .venv/bin/python bench/lists.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PASSWORD = "bench-pass-1"


def populate(n: int) -> dict:
    """`n` applications spread over the stations and the last 60 days: most completed, one in ten
    with its incentive waiting for a supervisor (a third of those claimed), the rest in progress.
    The incentive's request and details are a real processed application's."""
    from sqlalchemy import insert

    from onematter.case.models import Application, MatterCase, Person
    from onematter.casework.applications import matter_cases, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import process_matter
    from onematter.config.db import session_scope
    from onematter.config.settings import today
    from onematter.policy import load_policy
    from onematter.rules.workdays import add_working_days
    import yaml
    policy = load_policy()
    stations, towns = policy.stations, policy.towns
    form = yaml.safe_load((REPO / "examples" / "application.yaml").read_text(encoding="utf-8"))
    form.pop("materials")
    with session_scope() as s:
        app, _ = submit_application(s, parse_intake(form), actor="bench")
        for case in matter_cases(s, app.id):
            process_matter(s, case.id)
        model = {c.matter: (c.request, c.details, c.status) for c in matter_cases(s, app.id)}
        form_json = app.form
    day0 = today()
    from bench.rows import person_row
    from onematter.config.crypto import keyring
    ring = keyring()
    people, apps, cases = [], [], []
    for i in range(n):
        pid, aid = uuid.uuid4(), uuid.uuid4()
        taken = day0 - dt.timedelta(days=i % 60)
        kind = "waiting" if i % 10 == 0 else "processing" if i % 10 in (1, 2) else "completed"
        person = person_row(ring, i, born="3304821980", mobile="139", birth=dt.date(1980, 1, 1))
        people.append({**person, "id": pid})
        deadline = add_working_days(taken, 15, policy)
        apps.append({"id": aid, "application_no": f"PHYJS-{taken:%Y%m%d}-{i:05d}", "idempotency_key": f"bench-{i}",
                     "person_id": pid, "open_person_id": None if kind == "completed" else pid,
                     "status": {"waiting": "awaiting_decision", "processing": "processing"}.get(kind, "completed"),
                     "application_date": taken, "deadline": deadline, "town": towns[i % len(towns)],
                     "staff_name": "王珏", "station": stations[i % len(stations)], "policy_version": policy.version,
                     "form": form_json, "materials_tracked": False, "submitted_at": dt.datetime.now(dt.timezone.utc)})
        for matter in ("training", "job_push", "employer_incentive"):
            request, details, status = model[matter]
            if matter == "employer_incentive" and kind != "waiting":
                status = "approved" if kind == "completed" else "pending_decision"
                if kind == "processing":
                    status = "pending"
            cases.append({"id": uuid.uuid4(), "application_id": aid, "matter": matter, "status": status,
                          "assignee": "李科长" if matter == "employer_incentive" and kind == "waiting" and i % 30 == 0 else None,
                          "request": request, "details": details, "deadline": deadline,
                          "policy_version": policy.version})
    with session_scope() as s:
        for rows, table in ((people, Person), (apps, Application), (cases, MatterCase)):
            for start in range(0, len(rows), 2000):
                s.execute(insert(table), rows[start:start + 2000])
    return {"station": stations[1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from bench.rows import fresh_data_dir
    fresh_data_dir("onematter-bench-lists-", "lists.db")
    from fastapi.testclient import TestClient

    from onematter.case.accounts import add_user
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.config.db import session_scope
    from onematter.services.keys import prepare
    from onematter.config.settings import today
    from onematter.web.app import create_app
    prepare()            # the data key (made on a new data dir) and the schema
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(today())))
    t0 = time.perf_counter()
    place = populate(args.applications)
    filled = time.perf_counter() - t0
    with session_scope() as s:
        add_user(s, username="lik", name="李科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
        add_user(s, username="clerk", name="陈乍浦", role="window", station=place["station"], password=PASSWORD)
    clients = {}
    for user in ("lik", "clerk"):
        c = TestClient(create_app())
        login = c.get("/login")
        import re
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token, "next": "/"},
               follow_redirects=False)
        clients[user] = c
    pages = [("case list, supervisor (all stations)", "lik", "/applications"),
             ("case list, station clerk", "clerk", "/applications"),
             ("case list, supervisor, one station + overdue", "lik", f"/applications?station={place['station']}&overdue=1"),
             ("search by name, supervisor", "lik", "/applications?q=测试12"),
             ("search by full ID (keyed hash), supervisor", "lik", "/applications?q=33048219800001234X"),
             ("search by last four, supervisor", "lik", "/applications?q=2345"),
             ("decision queue (first 50 of all waiting)", "lik", "/decisions"),
             ("我的待办, supervisor", "lik", "/mine"),
             ("我的待办, station clerk", "clerk", "/mine"),
             ("CSV export, every application (supervisor)", "lik", "/applications.csv"),
             ("CSV export, the queue", "lik", "/decisions.csv")]
    rows = []
    for name, user, url in pages:
        times, size = [], 0
        for _ in range(args.runs + 1):
            t = time.perf_counter()
            r = clients[user].get(url)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            size = len(r.content)
            lines = r.content.count(b"\n") - 1 if url.endswith(".csv") else None
        times = times[1:]                                   # the first warms the caches
        rows.append((name, statistics.median(times) * 1000, max(times) * 1000,
                     f"{lines} rows" if lines is not None else f"{size // 1024} KB"))
    db = os.environ["ONEMATTER_DATABASE_URL"].split("@")[-1] if "postgresql" in os.environ["ONEMATTER_DATABASE_URL"] else "SQLite file"
    print(f"{args.applications} applications on {db} (filled in {filled:.1f} s); median of {args.runs} GETs each\n")
    width = max(len(r[0]) for r in rows)
    print(f"| {'page':<{width}} | median ms | max ms | size |\n|{'-' * (width + 2)}|---:|---:|---:|")
    for name, med, top, size in rows:
        print(f"| {name:<{width}} | {med:9.0f} | {top:6.0f} | {size} |")


if __name__ == "__main__":
    main()
