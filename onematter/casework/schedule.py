"""The scheduled follow-ups of domain.md §4 as plain functions of (session, day): each writes rows
— outbox messages, staff tasks — under unique keys per (person, kind, subject, day), so running a
day twice, or a retry after a crash, sends and creates nothing twice. The core's own are here
(deadline watch, task escalation, the monthly report); each matter declares its own in its spec
(`MatterSpec.followups`, in matters/<key>/followups.py), and SCHEDULE is both, by hour and rank.
The flows in flows/followups.py run them on their schedules, by name; `onematter followups run
--day` runs a whole day in-process, at the hours the schedules would."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Callable

from sqlmodel import Session, select

from onematter import matters
from onematter.case.models import Application, Event, MatterCase, StaffTask
from onematter.casework import materials
from onematter.casework.applications import open_statuses, settle_application, transition
from onematter.casework.issuing import MATERIALS_NOT_SUPPLIED, MATERIALS_RULE, issue_all
from onematter.casework.report import previous_month, render_report
from onematter.config.db import session_scope
from onematter.config.settings import now
from onematter.followups.days import start_of
from onematter.followups.outbox import deliver_due, enqueue
from onematter.matters.spec import MATERIALS_WAITING, Followup
from onematter.policy import load_policy
from onematter.rules.workdays import working_days_between


def escalate_tasks(session: Session, day: dt.date) -> int:
    """Open tasks past their due date: escalated once, with a message to staff."""
    made = 0
    for task in session.exec(select(StaffTask).where(StaffTask.status == "open", StaffTask.due_on < day,
                                                     StaffTask.escalated_at.is_(None))).all():
        task.escalated_at = start_of(day) + dt.timedelta(hours=8)
        session.add(task)
        made += enqueue(session, key=f"task_overdue:{task.id}", kind="task_overdue", audience="staff",
                        application_id=task.application_id,
                        payload={"title": task.title, "due": f"{task.due_on.month}月{task.due_on.day}日"}) is not None
    return made


def refuse_overdue_materials(session: Session, day: dt.date) -> list[str]:
    """补正 not made in time: each case still waiting for materials after its correction deadline
    is refused (不予受理, 逾期未补正) as of `day`, and its application settled. Returns the ids of
    the applications now due a notice (the caller issues it)."""
    policy = load_policy()
    refused = []
    waiting = session.exec(select(MatterCase).where(MatterCase.status == MATERIALS_WAITING)).all()
    for case in waiting:
        due = dt.date.fromisoformat(case.details["materials_due"])
        if day <= due:
            continue
        app = session.get(Application, case.application_id)
        lacking = materials.missing(session, app, case.matter)
        case.reason_code = MATERIALS_NOT_SUPPLIED
        case.reason = (f"逾期未补正：{app.application_date:%Y年%-m月%-d日}已一次性告知需补正{materials.names(lacking)}，"
                       f"补正期限{due:%Y年%-m月%-d日}届满仍未补齐。")
        case.rule = policy.citations.get("materials", MATERIALS_RULE)
        case.decided_at = start_of(day) + dt.timedelta(hours=8)
        transition(session, case, "refused", actor="deadline-watch", note="逾期未补正，不予受理")
        session.flush()
        settle_application(session, app, actor="deadline-watch")
        refused.append(str(app.id))
    return refused


def watch_deadlines(session: Session, day: dt.date) -> dict[str, list[str]]:
    """Open matter cases near or past their committed deadline: a reminder to staff at 1 working
    day left, an escalation (marked on the case, visible on its board) once overdue; rows under
    unique keys, never twice. Cases waiting for materials past their correction deadline are
    refused (`refused`: their applications, due a notice). Returns the application ids touched."""
    policy = load_policy()
    touched: dict[str, list[str]] = {"reminded": [], "escalated": [],
                                     "refused": refuse_overdue_materials(session, day)}
    open_cases = session.exec(select(MatterCase).where(MatterCase.status.in_(sorted(open_statuses() - {MATERIALS_WAITING})))).all()
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
    for app_id in sorted(set(touched["refused"])):
        issue_all(session, uuid.UUID(app_id))
    return len(touched["reminded"]) + len(touched["escalated"]) + len(touched["refused"])


def monthly_report(session: Session, day: dt.date) -> int:
    """The 1st of the month: the previous month's report (PDF and CSV)."""
    if day.day != 1:
        return 0
    render_report(session, previous_month(day))
    return 1


# ------------------------------------------------------------------ a whole day, as scheduled

CORE: tuple[Followup, ...] = (
    Followup(8, "deadline_watch", deadline_watch, rank=0),
    Followup(8, "escalate_tasks", escalate_tasks, rank=50),     # after the tasks the matters make at 8
    Followup(8, "monthly_report", monthly_report, rank=60),
)


def followups() -> list[Followup]:
    """The core's and every matter's follow-ups, in the order they run: by hour, then rank, then
    the registry's order."""
    found = [(0, f) for f in CORE] + [(s.order, f) for s in matters.all_specs() for f in s.followups]
    return [f for _, f in sorted(found, key=lambda o: (o[1].hour, o[1].rank, o[0]))]


# (hour, name, function): what runs when, as the deployments' schedules would
SCHEDULE: list[tuple[int, str, Callable[[Session, dt.date], int]]] = [(f.hour, f.name, f.fn) for f in followups()]


def followup(name: str) -> Followup:
    return next(f for f in followups() if f.name == name)


DELIVERY_HOURS = (8, 9, 12, 16, 18, 21)


def run_day(day: dt.date, *, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Everything due on `day`, in-process, in the order of the schedules; delivery runs at its
    hours in between (messages wait for quiet hours to end, retries for their backoff)."""
    counts: dict[str, int] = {}
    jobs = sorted([(h, 0, name, fn) for h, name, fn in SCHEDULE] + [(h, 1, "deliver", None) for h in DELIVERY_HOURS],
                  key=lambda j: (j[0], j[1]))
    for hour, _, name, fn in jobs:
        if progress:
            progress(f"{hour:02d}:00 {name}")
        if fn is None:
            for k, v in deliver_due(start_of(day) + dt.timedelta(hours=hour, minutes=5)).items():
                counts[f"delivery_{k}"] = counts.get(f"delivery_{k}", 0) + v
            continue
        with session_scope() as s:
            counts[name] = counts.get(name, 0) + fn(s, day)
    return counts
