"""Staff tasks (StaffTask rows): work a follow-up gives a person — a fair outcome, a training
completion, a re-verification, a 回访 — one per key, found by its station. The core's own kind is
the visit: a placement starts the 回访 at 1, 3 and 6 months (policy `followups.visits_after_months`),
tasks with those due dates, escalated like any task when overdue."""

from __future__ import annotations

import calendar
import datetime as dt

from sqlmodel import Session, select

from onematter.case.models import Application, MatterCase, StaffTask
from onematter.policy import load_policy

VISIT_RESULTS = {"employed": "在岗", "left": "已离职", "unreachable": "未联系上"}


class TaskRefused(ValueError):
    """A task's result cannot be recorded (unknown task, done already, a result it does not take)."""


def create_task(session: Session, *, key: str, kind: str, title: str, station: str, due: dt.date,
                application: Application | None, person_id, subject: dict) -> int:
    """A task, once: 0 when its key exists already (the day ran before, or a retry)."""
    if session.exec(select(StaffTask.id).where(StaffTask.key == key)).first():
        return 0
    session.add(StaffTask(key=key, kind=kind, title=title, station=station, due_on=due, subject=subject,
                          application_id=application.id if application else None, person_id=person_id))
    session.flush()
    return 1


def application_of(session: Session, case_id) -> tuple[Application | None, str]:
    """The application a matter case belongs to, and its station (where its tasks go)."""
    case = session.get(MatterCase, case_id)
    app = session.get(Application, case.application_id) if case else None
    return app, (app.station if app else "")


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def start_visits(session: Session, source: StaffTask, placed_on: dt.date) -> int:
    """回访 at 1, 3 and 6 months after a placement: one task each, with its due date."""
    made = 0
    for months in load_policy().followups.visits_after_months:
        key = f"visit:{source.id}:{months}"
        if session.exec(select(StaffTask.id).where(StaffTask.key == key)).first():
            continue
        session.add(StaffTask(key=key, kind="visit", title=f"就业回访（安置后{months}个月）", station=source.station,
                              due_on=add_months(placed_on, months), application_id=source.application_id,
                              person_id=source.person_id, subject={"placement": str(source.id), "months": months}))
        made += 1
    return made
