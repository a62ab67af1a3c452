"""The scheduled follow-ups of domain.md §4 as plain functions of (session, day): each writes rows
— outbox messages, staff tasks — under unique keys per (person, kind, subject, day), so running a
day twice, or a retry after a crash, sends and creates nothing twice. The flows in
flows/followups.py run them on their schedules; `onematter followups run --day` runs a whole day
in-process, at the hours the schedules would."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlmodel import Session, select

from onematter import matters
from onematter.case.models import Application, Event, MatterCase, Notification, OptOut, StaffTask
from onematter.matters.job_fair.models import Fair, FairRegistration
from onematter.matters.job_push.models import JobSubscription, Push
from onematter.matters.training.models import Course, Enrolment
from onematter.casework.applications import open_statuses
from onematter.config.settings import TZ, local, now
from onematter.followups.outbox import enqueue
from onematter.policy import load_policy
from onematter.rules.workdays import add_working_days, is_workday, working_days_between


def previous_working_day(day: dt.date) -> dt.date:
    policy = load_policy()
    current = day - dt.timedelta(days=1)
    while not is_workday(current, policy):
        current -= dt.timedelta(days=1)
    return current


def _the_day_before(day: dt.date, starts: dt.date) -> bool:
    """`day` is the working day before `starts` (the day reminders go out)."""
    return starts > day and previous_working_day(starts) == day


def _when(at: dt.datetime) -> str:
    at = local(at)
    return f"{at.month}月{at.day}日{at:%H:%M}"


def _station(session: Session, case_id) -> tuple[Application | None, str]:
    case = session.get(MatterCase, case_id)
    app = session.get(Application, case.application_id) if case else None
    return app, (app.station if app else "")


# ------------------------------------------------------------------ messages to veterans


def job_digest(session: Session, day: dt.date, progress: Callable[[float], None] | None = None) -> int:
    """09:00: new matching postings for every active subscription, never one posting twice to one
    person; nothing when nothing matches. Returns the messages written.

    Set-based, for a bureau's whole population in one pass: the valid postings are ranked once
    (rules.rank_postings) and indexed by category; each subscription walks them in rank order,
    skipping what it was pushed before, and keeps the first `job_push_limit` that match
    (rules.posting_matches) — the same result as matching then ranking. Rows are written in
    batches; a batch another process wrote first is retried row by row (its keys are unique)."""
    import heapq
    from collections import defaultdict

    from onematter.matters.job_push import posting_view
    from onematter.matters.job_push.models import Posting
    from onematter.matters.job_push.rules import posting_matches, rank_postings
    limit = load_policy().job_push_limit
    postings = session.exec(select(Posting).where(Posting.valid_until >= day)).all()
    by_code = {p.code: p for p in postings}
    ranked = list(enumerate(rank_postings([posting_view(p) for p in postings])))
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
    at = _start(day) + dt.timedelta(hours=9)
    pushes, messages = [], []
    subs = session.exec(select(JobSubscription).where(JobSubscription.active)).all()
    step = max(len(subs) // 20, 1)
    for number, sub in enumerate(subs, 1):
        if progress and number % step == 0:
            progress(number / len(subs) * 100)
        if sub.person_id in opted or str(sub.person_id) in done:
            continue
        seen = pushed[sub.person_id]
        walk = heapq.merge(*(by_category.get(c, []) for c in sub.categories)) if sub.categories else ranked
        found = []
        for _, view in walk:
            posting = by_code[view.code]
            if posting.id in seen or not posting_matches(view, education=sub.education, categories=sub.categories,
                                                         towns=sub.towns, min_salary=sub.min_salary, today=day):
                continue
            found.append(posting)
            if len(found) == limit:
                break
        if not found:
            continue
        pushes += [{"person_id": sub.person_id, "posting_id": p.id, "rank": rank} for rank, p in enumerate(found, 1)]
        messages.append({"key": f"job_digest:{sub.person_id}{suffix}", "person_id": sub.person_id,
                         "payload": {"count": len(found), "titles": [p.title for p in found[:3]],
                                     "postings": [p.code for p in found]}})
    written = _write_digest(session, pushes, messages, at)
    if progress:
        progress(100.0)
    return written


def _write_digest(session: Session, pushes: list[dict], messages: list[dict], at: dt.datetime) -> int:
    import uuid as _uuid

    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError
    written = 0
    chunk = 2000
    by_person: dict = {}
    for p in pushes:
        by_person.setdefault(p["person_id"], []).append(p)
    for i in range(0, len(messages), chunk):
        batch = messages[i:i + chunk]
        note_rows = [{"id": _uuid.uuid4(), "key": m["key"], "application_id": None, "person_id": m["person_id"],
                      "kind": "job_digest", "payload": m["payload"], "status": "pending", "audience": "veteran",
                      "body": None, "urgent": False, "attempts": 0, "next_attempt_at": None, "last_error": None,
                      "segments": 1, "created_at": at, "sent_at": None} for m in batch]
        push_rows = [{"id": _uuid.uuid4(), "matter_case_id": None, "channel": "digest", "pushed_at": at, **p}
                     for m in batch for p in by_person[m["person_id"]]]
        try:
            with session.begin_nested():
                session.execute(insert(Notification), note_rows)
                session.execute(insert(Push), push_rows)
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


def fair_reminders(session: Session, day: dt.date) -> int:
    """16:00 the working day before a fair: its registered people, with time and place or link."""
    written = 0
    for fair in session.exec(select(Fair)).all():
        if not _the_day_before(day, local(fair.starts_at).date()):
            continue
        for reg in session.exec(select(FairRegistration).where(FairRegistration.fair_id == fair.id,
                                                               FairRegistration.status == "registered")).all():
            place = (f"线上参会链接{fair.online_url}" if reg.mode == "线上" and fair.online_url
                     else f"地点{fair.venue or '另行通知'}")
            app, _ = _station(session, reg.matter_case_id)
            written += enqueue(session, key=f"fair_reminder:{reg.id}:{day}", kind="fair_reminder",
                               person_id=reg.person_id, application_id=app.id if app else None,
                               payload={"fair": fair.name, "when": _when(fair.starts_at), "place": place},
                               not_before=_start(day) + dt.timedelta(hours=16)) is not None
    return written


def training_reminders(session: Session, day: dt.date) -> int:
    """The working day before a course starts: its enrolled people, with date, time and address."""
    policy = load_policy()
    written = 0
    for course in session.exec(select(Course).where(Course.start > day)).all():
        if not _the_day_before(day, course.start):
            continue
        base = policy.training_bases.get(course.base)
        for e in session.exec(select(Enrolment).where(Enrolment.course_id == course.id,
                                                      Enrolment.status == "enrolled")).all():
            app, _ = _station(session, e.matter_case_id)
            when = f"{course.start.month}月{course.start.day}日" + (f"（{base.reporting}）" if base else "")
            written += enqueue(session, key=f"training_reminder:{e.id}:{day}", kind="training_reminder",
                               person_id=e.person_id, application_id=app.id if app else None,
                               payload={"trade": course.trade, "when": when,
                                        "address": base.address if base else course.base},
                               not_before=_start(day) + dt.timedelta(hours=16)) is not None
    return written


# ------------------------------------------------------------------ staff tasks


def _task(session: Session, *, key: str, kind: str, title: str, station: str, due: dt.date,
          application: Application | None, person_id, subject: dict) -> int:
    if session.exec(select(StaffTask.id).where(StaffTask.key == key)).first():
        return 0
    session.add(StaffTask(key=key, kind=kind, title=title, station=station, due_on=due, subject=subject,
                          application_id=application.id if application else None, person_id=person_id))
    session.flush()
    return 1


def fair_outcome_tasks(session: Session, day: dt.date) -> int:
    """3 working days after a fair: a task to record each attendee's outcome."""
    policy = load_policy()
    after = policy.followups.fair_outcome_after_working_days
    made = 0
    for fair in session.exec(select(Fair)).all():
        held = local(fair.starts_at).date()
        if held >= day or add_working_days(held, after, policy) != day:
            continue
        for reg in session.exec(select(FairRegistration).where(FairRegistration.fair_id == fair.id,
                                                               FairRegistration.status == "registered")).all():
            app, station = _station(session, reg.matter_case_id)
            made += _task(session, key=f"fair_outcome:{reg.id}", kind="fair_outcome",
                          title=f"登记招聘会求职结果：{fair.name}（{app.application_no if app else ''}）",
                          station=station, due=add_working_days(day, 2, policy), application=app,
                          person_id=reg.person_id, subject={"fair": fair.code, "registration": str(reg.id)})
    return made


def training_completion_tasks(session: Session, day: dt.date) -> int:
    """2 working days after a course ends: a task to record completion or dropping out."""
    policy = load_policy()
    after = policy.followups.training_completion_after_working_days
    made = 0
    for course in session.exec(select(Course).where(Course.end < day)).all():
        if add_working_days(course.end, after, policy) != day:
            continue
        for e in session.exec(select(Enrolment).where(Enrolment.course_id == course.id,
                                                      Enrolment.status == "enrolled")).all():
            app, station = _station(session, e.matter_case_id)
            made += _task(session, key=f"training_completion:{e.id}", kind="training_completion",
                          title=f"登记培训结业情况：{course.trade}（{app.application_no if app else ''}）",
                          station=station, due=add_working_days(day, 2, policy), application=app,
                          person_id=e.person_id, subject={"course": course.code, "enrolment": str(e.id)})
    return made


def escalate_tasks(session: Session, day: dt.date) -> int:
    """Open tasks past their due date: escalated once, with a message to staff."""
    made = 0
    for task in session.exec(select(StaffTask).where(StaffTask.status == "open", StaffTask.due_on < day,
                                                     StaffTask.escalated_at.is_(None))).all():
        task.escalated_at = _start(day) + dt.timedelta(hours=8)
        session.add(task)
        made += enqueue(session, key=f"task_overdue:{task.id}", kind="task_overdue", audience="staff",
                        application_id=task.application_id,
                        payload={"title": task.title, "due": f"{task.due_on.month}月{task.due_on.day}日"}) is not None
    return made


def watch_deadlines(session: Session, day: dt.date) -> dict[str, list[str]]:
    """Open matter cases near or past their committed deadline: a reminder to staff at 1 working
    day left, an escalation (marked on the case, visible on its board) once overdue; rows under
    unique keys, never twice. Returns the application ids touched."""
    policy = load_policy()
    touched: dict[str, list[str]] = {"reminded": [], "escalated": []}
    open_cases = session.exec(select(MatterCase).where(MatterCase.status.in_(sorted(open_statuses())))).all()
    for case in open_cases:
        left = working_days_between(day, case.deadline, policy)
        app = session.get(Application, case.application_id)
        payload = {"application_no": app.application_no, "matter": case.matter,
                   "matter_title": matters.spec(case.matter).title, "deadline": case.deadline.isoformat()}
        if left < 0 and not case.details.get("escalated_at"):
            case.details = {**case.details, "escalated_at": now().isoformat(timespec="minutes")}
            session.add(case)
            session.add(Event(application_id=app.id, entity=f"matter:{case.matter}", entity_id=case.id,
                              from_status=case.status, to_status=case.status, actor="deadline-watch",
                              note="escalated: 超过承诺时限未办结"))
            enqueue(session, key=f"escalate:{case.id}", application_id=app.id, kind="escalation", audience="staff",
                    payload=payload)
            touched["escalated"].append(str(app.id))
        elif left == 1 and enqueue(session, key=f"remind:{case.id}", application_id=app.id,
                                   kind="deadline_reminder", audience="staff", payload=payload) is not None:
            touched["reminded"].append(str(app.id))
    return touched


def deadline_watch(session: Session, day: dt.date) -> int:
    touched = watch_deadlines(session, day)
    return len(touched["reminded"]) + len(touched["escalated"])


def first_working_day_of_january(day: dt.date) -> bool:
    if day.month != 1:
        return False
    policy = load_policy()
    first = dt.date(day.year, 1, 1)
    while not is_workday(first, policy):
        first += dt.timedelta(days=1)
    return day == first


def reverification_tasks(session: Session, day: dt.date) -> int:
    """The first working day of January: for every confirmed incentive with years left, a task to
    check that employment and social insurance continue (years 2 and 3)."""
    from onematter.matters.employer_incentive.models import IncentiveClaim, IncentiveYear
    if not first_working_day_of_january(day):
        return 0
    policy = load_policy()
    made = 0
    for claim in session.exec(select(IncentiveClaim)).all():
        case = session.get(MatterCase, claim.matter_case_id)
        if case is None or case.status != "approved":
            continue
        year = session.exec(select(IncentiveYear).where(IncentiveYear.claim_id == claim.id,
                                                        IncentiveYear.year == day.year,
                                                        IncentiveYear.status == "scheduled")).first()
        if year is None:
            continue
        app = session.get(Application, case.application_id)
        made += _task(session, key=f"reverify:{claim.id}:{day.year}", kind="reverification",
                      title=f"企业吸纳优惠年度核验：{claim.employer_name}（{app.application_no}，{day.year}年度）",
                      station=app.station, due=add_working_days(day, 10, policy), application=app,
                      person_id=app.person_id, subject={"claim": str(claim.id), "year": day.year})
    return made


def monthly_report(session: Session, day: dt.date) -> int:
    """The 1st of the month: the previous month's report (PDF and CSV)."""
    if day.day != 1:
        return 0
    from onematter.casework.report import previous_month, render_report
    render_report(session, previous_month(day))
    return 1


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TZ)


# ------------------------------------------------------------------ a whole day, as scheduled

# (hour, name, function): what runs when, as the deployments' schedules would
SCHEDULE: list[tuple[int, str, Callable[[Session, dt.date], int]]] = [
    (8, "deadline_watch", deadline_watch),
    (8, "fair_outcome_tasks", fair_outcome_tasks),
    (8, "training_completion_tasks", training_completion_tasks),
    (8, "escalate_tasks", escalate_tasks),
    (8, "monthly_report", monthly_report),
    (8, "reverification_tasks", reverification_tasks),
    (9, "job_digest", job_digest),
    (16, "fair_reminders", fair_reminders),
    (16, "training_reminders", training_reminders),
]
DELIVERY_HOURS = (8, 9, 12, 16, 18, 21)


def run_day(day: dt.date, *, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Everything due on `day`, in-process, in the order of the schedules; delivery runs at its
    hours in between (messages wait for quiet hours to end, retries for their backoff)."""
    from onematter.config.db import session_scope
    from onematter.followups.outbox import deliver_due
    counts: dict[str, int] = {}
    jobs = sorted([(h, 0, name, fn) for h, name, fn in SCHEDULE] + [(h, 1, "deliver", None) for h in DELIVERY_HOURS],
                  key=lambda j: (j[0], j[1]))
    for hour, _, name, fn in jobs:
        if progress:
            progress(f"{hour:02d}:00 {name}")
        if fn is None:
            for k, v in deliver_due(_start(day) + dt.timedelta(hours=hour, minutes=5)).items():
                counts[f"delivery_{k}"] = counts.get(f"delivery_{k}", 0) + v
            continue
        with session_scope() as s:
            counts[name] = counts.get(name, 0) + fn(s, day)
    return counts
