"""职业技能培训's follow-ups (domain.md §4): the reminder the working day before a course starts,
and the staff task to record completion 2 working days after it ends."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from onematter.followups.days import start_of, the_day_before
from onematter.followups.outbox import enqueue
from onematter.followups.tasks import application_of, create_task
from onematter.matters.spec import Followup, TaskKind
from onematter.matters.training.models import Course, Enrolment
from onematter.policy import load_policy
from onematter.rules.workdays import add_working_days


def training_reminders(session: Session, day: dt.date) -> int:
    """The working day before a course starts: its enrolled people, with date, time and address."""
    policy = load_policy()
    written = 0
    for course in session.exec(select(Course).where(Course.start > day)).all():
        if not the_day_before(day, course.start):
            continue
        base = policy.training_bases.get(course.base)
        for e in session.exec(select(Enrolment).where(Enrolment.course_id == course.id,
                                                      Enrolment.status == "enrolled")).all():
            app, _ = application_of(session, e.matter_case_id)
            when = f"{course.start.month}月{course.start.day}日" + (f"（{base.reporting}）" if base else "")
            written += enqueue(session, key=f"training_reminder:{e.id}:{day}", kind="training_reminder",
                               person_id=e.person_id, application_id=app.id if app else None,
                               payload={"trade": course.trade, "when": when,
                                        "address": base.address if base else course.base},
                               not_before=start_of(day) + dt.timedelta(hours=16)) is not None
    return written


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
            app, station = application_of(session, e.matter_case_id)
            made += create_task(session, key=f"training_completion:{e.id}", kind="training_completion",
                                title=f"登记培训结业情况：{course.trade}（{app.application_no if app else ''}）",
                                station=station, due=add_working_days(day, 2, policy), application=app,
                                person_id=e.person_id, subject={"course": course.code, "enrolment": str(e.id)})
    return made


FOLLOWUPS = (
    Followup(8, "training_completion_tasks", training_completion_tasks, rank=20),
    Followup(16, "training_reminders", training_reminders, rank=20),
)
TASKS = (TaskKind("training_completion", {"completed": "已结业", "dropped": "中途退出"}),)
