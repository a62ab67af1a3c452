"""专场招聘会's follow-ups (domain.md §4): the reminder at 16:00 the working day before a fair, the
staff task to record each attendee's outcome 3 working days after it; a hire recorded there is a
placement and starts the 回访 visits."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from onematter.case.models import StaffTask
from onematter.config.settings import local, today
from onematter.followups.days import start_of, the_day_before
from onematter.followups.outbox import enqueue
from onematter.followups.tasks import application_of, create_task, start_visits
from onematter.matters.job_fair.models import Fair, FairRegistration
from onematter.matters.spec import Followup, TaskKind
from onematter.policy import load_policy
from onematter.rules.workdays import add_working_days


def _when(at: dt.datetime) -> str:
    at = local(at)
    return f"{at.month}月{at.day}日{at:%H:%M}"


def fair_reminders(session: Session, day: dt.date) -> int:
    """16:00 the working day before a fair: its registered people, with time and place or link."""
    written = 0
    for fair in session.exec(select(Fair)).all():
        if not the_day_before(day, local(fair.starts_at).date()):
            continue
        for reg in session.exec(select(FairRegistration).where(FairRegistration.fair_id == fair.id,
                                                               FairRegistration.status == "registered")).all():
            place = (f"线上参会链接{fair.online_url}" if reg.mode == "线上" and fair.online_url
                     else f"地点{fair.venue or '另行通知'}")
            app, _ = application_of(session, reg.matter_case_id)
            written += enqueue(session, key=f"fair_reminder:{reg.id}:{day}", kind="fair_reminder",
                               person_id=reg.person_id, application_id=app.id if app else None,
                               payload={"fair": fair.name, "when": _when(fair.starts_at), "place": place},
                               not_before=start_of(day) + dt.timedelta(hours=16)) is not None
    return written


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
            app, station = application_of(session, reg.matter_case_id)
            made += create_task(session, key=f"fair_outcome:{reg.id}", kind="fair_outcome",
                                title=f"登记招聘会求职结果：{fair.name}（{app.application_no if app else ''}）",
                                station=station, due=add_working_days(day, 2, policy), application=app,
                                person_id=reg.person_id, subject={"fair": fair.code, "registration": str(reg.id)})
    return made


def outcome_recorded(session: Session, task: StaffTask, result: str, ended: str | None) -> bool:
    """A hire is a placement: the 回访 visits start from today."""
    if result == "hired":
        start_visits(session, task, placed_on=today())
    return False


FOLLOWUPS = (
    Followup(8, "fair_outcome_tasks", fair_outcome_tasks, rank=10),
    Followup(16, "fair_reminders", fair_reminders, rank=10),
)
TASKS = (TaskKind("fair_outcome", {"hired": "已录用", "interviewing": "面试中", "not_hired": "未录用"},
                  done=outcome_recorded),)
