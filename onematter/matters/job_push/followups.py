"""就业信息推送's follow-up (domain.md §4): the daily digest at 09:00 — new matching postings for
every active subscription, never one posting twice to one person."""

from __future__ import annotations

import datetime as dt
import heapq
import uuid
from collections import defaultdict
from typing import Callable

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from onematter.case.models import Notification, OptOut
from onematter.config.db import bulk_insert
from onematter.followups.days import start_of
from onematter.followups.outbox import enqueue
from onematter.matters.job_push.matching import posting_view
from onematter.matters.job_push.models import JobSubscription, Posting, Push
from onematter.matters.job_push.rules import posting_matches, rank_postings
from onematter.matters.spec import Followup
from onematter.policy import load_policy


def job_digest(session: Session, day: dt.date, progress: Callable[[float], None] | None = None) -> int:
    """09:00: new matching postings for every active subscription, never one posting twice to one
    person; nothing when nothing matches. Returns the messages written.

    Set-based, for a bureau's whole population in one pass: the valid postings are ranked once
    (rules.rank_postings) and indexed by category; each subscription walks them in rank order,
    skipping what it was pushed before, and keeps the first `job_push_limit` that match
    (rules.posting_matches) — the same result as matching then ranking. Rows are written in
    batches; a batch another process wrote first is retried row by row (its keys are unique)."""
    limit = load_policy().job_push_limit
    postings = session.exec(select(Posting).where(Posting.valid_until >= day)).all()
    ids = {p.code: p.id for p in postings}
    titles = {p.code: p.title for p in postings}
    # the walk reads plain tuples (rank, view, posting id): no ORM attribute in the inner loop
    ranked = [(rank, view, ids[view.code]) for rank, view in enumerate(rank_postings([posting_view(p) for p in postings]))]
    by_category: dict[str, list] = defaultdict(list)
    for item in ranked:
        by_category[item[1].category].append(item)
    pushed: dict = defaultdict(set)
    for person_id, posting_id in session.exec(select(Push.person_id, Push.posting_id)).all():
        pushed[person_id].add(posting_id)
    suffix = f":{day}"
    done = {k.split(":")[1] for k in session.exec(select(Notification.key).where(
        Notification.kind == "job_digest", Notification.key.endswith(suffix))).all()}
    opted = set(session.exec(select(OptOut.person_id)).all())
    at = start_of(day) + dt.timedelta(hours=9)
    pushes, messages = [], []
    subs = session.exec(select(JobSubscription).where(JobSubscription.active)).all()
    step = max(len(subs) // 20, 1)
    for number, sub in enumerate(subs, 1):
        if progress and number % step == 0:
            progress(number / len(subs) * 100)
        person_id = sub.person_id
        if person_id in opted or str(person_id) in done:
            continue
        seen = pushed[person_id]
        education, categories, towns, min_salary = sub.education, sub.categories, sub.towns, sub.min_salary
        walk = heapq.merge(*(by_category.get(c, []) for c in categories)) if categories else ranked
        found = []
        for _, view, posting_id in walk:
            if posting_id in seen or not posting_matches(view, education=education, categories=categories,
                                                         towns=towns, min_salary=min_salary, today=day):
                continue
            found.append((posting_id, view.code))
            if len(found) == limit:
                break
        if not found:
            continue
        pushes += [{"person_id": person_id, "posting_id": pid, "rank": rank} for rank, (pid, _) in enumerate(found, 1)]
        messages.append({"key": f"job_digest:{person_id}{suffix}", "person_id": person_id,
                         "payload": {"count": len(found), "titles": [titles[code] for _, code in found[:3]],
                                     "postings": [code for _, code in found]}})
    written = _write_digest(session, pushes, messages, at)
    if progress:
        progress(100.0)
    return written


def _write_digest(session: Session, pushes: list[dict], messages: list[dict], at: dt.datetime) -> int:
    written = 0
    chunk = 2000
    by_person: dict = {}
    for p in pushes:
        by_person.setdefault(p["person_id"], []).append(p)
    for i in range(0, len(messages), chunk):
        batch = messages[i:i + chunk]
        note_rows = [{"id": uuid.uuid4(), "key": m["key"], "application_id": None, "person_id": m["person_id"],
                      "kind": "job_digest", "payload": m["payload"], "status": "pending", "audience": "veteran",
                      "body": None, "urgent": False, "attempts": 0, "next_attempt_at": None, "last_error": None,
                      "segments": 1, "created_at": at, "sent_at": None} for m in batch]
        push_rows = [{"id": uuid.uuid4(), "matter_case_id": None, "channel": "digest", "pushed_at": at, **p}
                     for m in batch for p in by_person[m["person_id"]]]
        try:
            with session.begin_nested():
                session.execute(insert(Notification), note_rows)
                bulk_insert(session, Push.__table__, push_rows)
            written += len(batch)
        except IntegrityError:                     # another process wrote some of these first
            for m in batch:
                if enqueue(session, key=m["key"], kind="job_digest", person_id=m["person_id"],
                           payload=m["payload"]) is None:
                    continue
                for p in by_person[m["person_id"]]:
                    session.add(Push(channel="digest", pushed_at=at, **p))
                written += 1
            session.flush()
    return written


FOLLOWUPS = (Followup(9, "job_digest", job_digest, progress=True),)
