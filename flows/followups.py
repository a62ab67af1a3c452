"""Scheduled follow-ups: deadline watch (remind at 1 working day left, escalate when overdue) and
the sweeper that takes up applications whose processing stopped."""

from __future__ import annotations

import datetime as dt
import uuid

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from sqlmodel import select

from onematter.cases import open_statuses
from onematter import workqueue
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
            left = working_days_between(dt.date.fromisoformat(day), case.deadline, policy)
            app = session.get(Application, case.application_id)
            if left < 0 and not case.details.get("escalated_at"):
                stamp = now().isoformat(timespec="minutes")
                case.details = {**case.details, "escalated_at": stamp}
                session.add(case)
                session.add(Event(application_id=app.id, entity=f"matter:{case.matter}", entity_id=case.id,
                                  from_status=case.status, to_status=case.status, actor="deadline-watch",
                                  note="escalated: 超过承诺时限未办结"))
                session.add(Notification(key=f"escalate:{case.id}", application_id=app.id, kind="escalation", audience="staff",
                                         payload={"application_no": app.application_no, "matter": case.matter,
                                                  "deadline": case.deadline.isoformat()}))
                touched["escalated"].append(str(app.id))
            elif left == 1 and not session.exec(select(Notification).where(
                    Notification.key == f"remind:{case.id}")).first():
                session.add(Notification(key=f"remind:{case.id}", application_id=app.id, kind="deadline_reminder",
                                         audience="staff",
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


@task(name="find-stuck", task_run_name="查找中断的申请")
def find_stuck() -> list[str]:
    """Open applications still received/processing well after submission (a killed process, a start
    that failed, a worker that gave up), or whose documents went missing: their ids. A lost worker's
    applications are not ours: its lease runs out and another worker takes them up."""
    import datetime as dt

    from onematter.cases import STUCK_STATUSES
    from onematter.dossier import missing_documents
    from onematter.settings import get_settings, local
    cutoff = now() - dt.timedelta(minutes=get_settings().stuck_after_minutes)
    stuck = []
    with session_scope(readonly=True) as session:
        for app in session.exec(select(Application).where(Application.open_person_id.is_not(None))).all():
            if local(app.submitted_at) > cutoff or workqueue.live(session, app.id):
                continue                       # just submitted, or a worker has it in hand
            if app.status in STUCK_STATUSES or missing_documents(session, app):
                stuck.append(str(app.id))
    return stuck


@flow(name="sweep-stuck", flow_run_name="续办中断的申请 {day}", log_prints=False)
async def sweep_stuck(day: str | None = None) -> dict:
    """Every few minutes: each application whose processing stopped is run again (idempotent: what
    was done is not done twice), as its own readable `一件事 <number>` run."""
    from flows.combined_application import combined_application
    day = day or today().isoformat()
    resumed, failed = [], []
    for app_id in find_stuck():
        application_id = uuid.UUID(app_id)
        number = application_number(application_id)
        try:
            await combined_application(application_id=application_id)
            resumed.append(number)
        except Exception:                      # noqa: BLE001 — one application's fault stops no other
            failed.append(number)
    await create_markdown_artifact(key="sweep-stuck", markdown="\n".join([
        f"# 续办中断的申请 {day}", "", f"- 已续办：{'、'.join(resumed) or '无'}", f"- 仍未完成：{'、'.join(failed) or '无'}"]))
    return {"resumed": resumed, "failed": failed}


# ------------------------------------------------------------------ follow-ups that reach people
#
# One flow per follow-up of domain.md §4: the domain function (onematter/followups.py) writes
# rows under unique keys, then what became due is delivered at once. Run names, parameters,
# logs and artifacts carry counts only.


@task(name="run-followup", task_run_name="{name} {day}")
def run_followup(name: str, day: str) -> int:
    from onematter import followups
    fn = dict((n, f) for _, n, f in followups.SCHEDULE)[name]
    with session_scope() as session:
        if name != "job_digest":
            return fn(session, dt.date.fromisoformat(day))
        # the long batch shows its progress in the UI (a progress artifact, percent only)
        from prefect.artifacts import create_progress_artifact, update_progress_artifact
        artifact = create_progress_artifact(progress=0.0, key="job-digest-progress", description=f"每日岗位推送 {day}")
        return fn(session, dt.date.fromisoformat(day),
                  progress=lambda pct: update_progress_artifact(artifact_id=artifact, progress=pct))


@task(name="deliver-due", task_run_name="发送到期消息")
def deliver_now() -> dict[str, int]:
    """A long batch (after the job digest: thousands) shows its progress in the UI, percent only."""
    from prefect.artifacts import create_progress_artifact, update_progress_artifact

    from onematter.outbox import deliver_due
    artifact: list = []

    def progress(pct: float) -> None:
        if not artifact:
            artifact.append(create_progress_artifact(progress=pct, key="deliver-notifications-progress",
                                                     description="发送到期消息"))
        else:
            update_progress_artifact(artifact_id=artifact[0], progress=pct)
    return deliver_due(now(), progress=progress)


async def _followup(name: str, title: str, day: str | None) -> dict:
    day = day or today().isoformat()
    written = run_followup(name, day)
    delivered = deliver_now() if written else {}
    await create_markdown_artifact(key=name.replace("_", "-"), markdown="\n".join(
        [f"# {title} {day}", "", f"- 新写入：{written}"] + [f"- 发送 {k}：{v}" for k, v in delivered.items() if v]))
    return {"written": written, **{f"delivery_{k}": v for k, v in delivered.items()}}


@flow(name="job-digest", flow_run_name="每日岗位推送 {day}")
async def job_digest(day: str | None = None) -> dict:
    """09:00: new matching postings to every subscribed person, never one posting twice."""
    return await _followup("job_digest", "每日岗位推送", day)


@flow(name="fair-reminder", flow_run_name="招聘会提醒 {day}")
async def fair_reminder(day: str | None = None) -> dict:
    """16:00 the working day before a fair: its registered people."""
    return await _followup("fair_reminders", "招聘会提醒", day)


@flow(name="training-reminder", flow_run_name="培训开班提醒 {day}")
async def training_reminder(day: str | None = None) -> dict:
    """The working day before a course starts: its enrolled people."""
    return await _followup("training_reminders", "培训开班提醒", day)


@flow(name="fair-outcome", flow_run_name="招聘会结果登记 {day}")
async def fair_outcome(day: str | None = None) -> dict:
    """3 working days after a fair: a staff task per attendee."""
    return await _followup("fair_outcome_tasks", "招聘会结果登记", day)


@flow(name="training-completion", flow_run_name="培训结业登记 {day}")
async def training_completion(day: str | None = None) -> dict:
    """2 working days after a course ends: a staff task per enrolled person."""
    return await _followup("training_completion_tasks", "培训结业登记", day)


@flow(name="task-escalation", flow_run_name="待办超期督办 {day}")
async def task_escalation(day: str | None = None) -> dict:
    """Open staff tasks past their due date: escalated once, staff told."""
    return await _followup("escalate_tasks", "待办超期督办", day)


@flow(name="deliver-notifications", flow_run_name="发送消息")
async def deliver_notifications() -> dict:
    """Every few minutes: the outbox's due messages, through the configured channels."""
    counts = deliver_now()
    await create_markdown_artifact(key="deliver-notifications", markdown="\n".join(
        ["# 发送消息", ""] + [f"- {k}：{v}" for k, v in counts.items()]))
    return counts


@flow(name="monthly-report", flow_run_name="月度统计 {month}")
async def monthly_report(month: str | None = None) -> dict:
    """The 1st at 08:00: the previous month's statistics (PDF and CSV) and a table of the headline
    figures (counts only)."""
    from prefect.artifacts import create_table_artifact

    from onematter.report import previous_month, render_report
    first = dt.date.fromisoformat(f"{month}-01") if month else previous_month(today())
    with session_scope() as session:
        made = render_report(session, first)
    f = made["figures"]
    await create_table_artifact(key="monthly-report", description=f"月度统计 {f['month']}", table=[
        {"项目": "受理联办申请", "数值": f["applications"]}, {"项目": "已办结", "数值": f["completed"]},
        {"项目": "按时办结率（%）", "数值": f["on_time_rate"] if f["on_time_rate"] is not None else "—"},
        {"项目": "招聘会录用", "数值": f["placements"]["fair_hires"]},
        {"项目": "企业吸纳优惠审核确认", "数值": f["placements"]["incentive_approved"]},
        {"项目": "消息已发送", "数值": f["delivery"]["sent"]}, {"项目": "消息发送失败", "数值": f["delivery"]["failed"]}])
    return {"month": f["month"], "applications": f["applications"], "pages": made["pages"]}
