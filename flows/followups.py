"""Scheduled follow-ups: deadline watch (remind at 1 working day left, escalate when overdue) and
the sweeper that takes up applications whose processing stopped."""

from __future__ import annotations

import datetime as dt
import uuid

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from onematter.casework import schedule
from onematter.casework.progress import stuck_applications
from onematter.case.models import Application
from onematter.config.db import session_scope
from onematter.config.settings import now, today
from onematter.tasks.artifacts import publish_artifacts
from onematter.tasks.documents import render_documents
from onematter.tasks.cases import application_number


@task(name="watch-deadlines", task_run_name="检查承诺时限 {day}")
def watch_deadlines(day: str) -> dict[str, list[str]]:
    """Reminder and escalation rows (outbox, unique keys: never twice); the application ids touched."""
    with session_scope() as session:
        return schedule.watch_deadlines(session, dt.date.fromisoformat(day))


@flow(name="deadline-watch", flow_run_name="期限监控 {day}", log_prints=False)
async def deadline_watch(day: str | None = None) -> dict:
    """Daily: remind at 1 working day left, escalate overdue cases (visible on their board)."""
    day = day or today().isoformat()
    touched = watch_deadlines(day)
    for app_id in sorted(set(touched["refused"])):          # 逾期未补正: the notice, at once
        render_documents(uuid.UUID(app_id), application_number(uuid.UUID(app_id)))
    for app_id in sorted(set(touched["escalated"]) | set(touched["refused"])):
        await publish_artifacts(uuid.UUID(app_id), application_number(uuid.UUID(app_id)))
    with session_scope() as session:
        numbers = {k: [session.get(Application, uuid.UUID(a)).application_no for a in v] for k, v in touched.items()}
    await create_markdown_artifact(key="deadline-watch", markdown="\n".join([
        f"# 期限监控 {day}", "", f"- 今日提醒（剩1个工作日）：{'、'.join(numbers['reminded']) or '无'}",
        f"- 超期上报：{'、'.join(numbers['escalated']) or '无'}",
        f"- 逾期未补正、不予受理：{'、'.join(numbers['refused']) or '无'}"]))
    return numbers


@task(name="find-stuck", task_run_name="查找中断的申请")
def find_stuck() -> list[str]:
    """Open applications whose processing stopped (progress.stuck_applications): their ids."""
    with session_scope(readonly=True) as session:
        return [str(i) for i in stuck_applications(session)]


@flow(name="sweep-stuck", flow_run_name="续办中断的申请 {day}", log_prints=False)
async def sweep_stuck(day: str | None = None) -> dict:
    """Every few minutes: each application whose processing stopped is run again (idempotent: what
    was done is not done twice), as its own readable `一件事 <number>` run."""
    from onematter.flows.combined_application import combined_application
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
# One flow per follow-up of domain.md §4: the domain function (casework/schedule.py's SCHEDULE, the
# core's and each matter's from matters/<key>/followups.py) writes rows under unique keys, then what
# became due is delivered at once. Run names, parameters, logs and artifacts carry counts only.


@task(name="run-followup", task_run_name="{name} {day}")
def run_followup(name: str, day: str, title: str = "") -> int:
    followup = schedule.followup(name)
    with session_scope() as session:
        if not followup.progress:
            return followup.fn(session, dt.date.fromisoformat(day))
        # a long batch shows its progress in the UI (a progress artifact, percent only)
        from prefect.artifacts import create_progress_artifact, update_progress_artifact
        artifact = create_progress_artifact(progress=0.0, key=f"{name.replace('_', '-')}-progress",
                                            description=f"{title or name} {day}")
        return followup.fn(session, dt.date.fromisoformat(day),
                           progress=lambda pct: update_progress_artifact(artifact_id=artifact, progress=pct))


@task(name="deliver-due", task_run_name="发送到期消息")
def deliver_now() -> dict[str, int]:
    """A long batch (after the job digest: thousands) shows its progress in the UI, percent only."""
    from prefect.artifacts import create_progress_artifact, update_progress_artifact

    from onematter.followups.outbox import deliver_due
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
    written = run_followup(name, day, title)
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

    from onematter.casework.report import previous_month, render_report
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


@flow(name="retention", flow_run_name="保存期限 {day}")
async def retention(day: str | None = None) -> dict:
    """Daily at 03:00: the persons whose last application closed `retention.years` ago are
    anonymised (policy `retention`); the artifact holds counts only."""
    from prefect.artifacts import create_table_artifact

    from onematter.casework.retention import run
    done = run(day=dt.date.fromisoformat(day) if day else None)
    await create_table_artifact(key="retention", description=f"保存期限 {done['day']}", table=[
        {"项目": "到期匿名化（人）", "数值": done["done"]["anonymised"]},
        {"项目": "涉及申请（件）", "数值": done["applications"]},
        {"项目": "文书归档", "数值": done["done"]["documents_archived"]},
        {"项目": "文书删除", "数值": done["done"]["documents_deleted"]},
        {"项目": "材料扫描件删除", "数值": done["done"]["scans_deleted"]}])
    return {"day": done["day"], "anonymised": done["done"]["anonymised"]}
