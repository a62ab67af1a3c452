"""Scheduled follow-ups: deadline watch (remind at 1 working day left, escalate when overdue)."""

from __future__ import annotations

import uuid

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from sqlmodel import select

from onematter.cases import open_statuses
from onematter.db import session_scope
from onematter.models import Application, Event, MatterCase, Notification
from onematter.policy import load_policy
from onematter.rules.workdays import working_days_between
from onematter.settings import now, today
from tasks.artifacts import publish_artifacts
from tasks.cases import application_number


@task(name="watch-deadlines", task_run_name="检查承诺时限 {day}")
def watch_deadlines(day: str) -> dict[str, list[str]]:
    """Writes reminder and escalation rows (outbox, unique keys: never twice) and marks overdue
    undecided cases; returns the application ids touched."""
    policy = load_policy()
    touched: dict[str, list[str]] = {"reminded": [], "escalated": []}
    with session_scope() as session:
        open_cases = session.exec(select(MatterCase).where(MatterCase.status.in_(sorted(open_statuses())))).all()
        for case in open_cases:
            left = working_days_between(today(), case.deadline, policy)
            app = session.get(Application, case.application_id)
            if left < 0 and not case.details.get("escalated_at"):
                stamp = now().isoformat(timespec="minutes")
                case.details = {**case.details, "escalated_at": stamp}
                session.add(case)
                session.add(Event(application_id=app.id, entity=f"matter:{case.matter}", entity_id=case.id,
                                  from_status=case.status, to_status=case.status, actor="deadline-watch",
                                  note="escalated: 超过承诺时限未办结"))
                session.add(Notification(key=f"escalate:{case.id}", application_id=app.id, kind="escalation",
                                         payload={"application_no": app.application_no, "matter": case.matter,
                                                  "deadline": case.deadline.isoformat()}))
                touched["escalated"].append(str(app.id))
            elif left == 1 and not session.exec(select(Notification).where(
                    Notification.key == f"remind:{case.id}")).first():
                session.add(Notification(key=f"remind:{case.id}", application_id=app.id, kind="deadline_reminder",
                                         payload={"application_no": app.application_no, "matter": case.matter,
                                                  "deadline": case.deadline.isoformat()}))
                touched["reminded"].append(str(app.id))
    return touched


@flow(name="deadline-watch", flow_run_name="期限监控 {day}", log_prints=False)
async def deadline_watch(day: str | None = None) -> dict:
    """Daily: remind at 1 working day left, escalate overdue cases (visible on their board)."""
    day = day or today().isoformat()
    touched = watch_deadlines(day)
    for app_id in sorted(set(touched["escalated"])):
        publish_artifacts(uuid.UUID(app_id), application_number(uuid.UUID(app_id)))
    with session_scope() as session:
        numbers = {k: [session.get(Application, uuid.UUID(a)).application_no for a in v] for k, v in touched.items()}
    await create_markdown_artifact(key="deadline-watch", markdown="\n".join([
        f"# 期限监控 {day}", "", f"- 今日提醒（剩1个工作日）：{'、'.join(numbers['reminded']) or '无'}",
        f"- 超期上报：{'、'.join(numbers['escalated']) or '无'}"]))
    return numbers
