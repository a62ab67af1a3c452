"""Staff tasks the follow-ups create, and recording their results. A hire recorded from a fair
outcome is a placement: it starts the 回访 visits at 1, 3 and 6 months (tasks with those due
dates, escalated like any task when overdue)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Session, select

from onematter.case.models import Event, StaffTask
from onematter.policy import load_policy
from onematter.config.settings import now, today

RESULTS = {
    "fair_outcome": {"hired": "已录用", "interviewing": "面试中", "not_hired": "未录用"},
    "training_completion": {"completed": "已结业", "dropped": "中途退出"},
    "visit": {"employed": "在岗", "left": "已离职", "unreachable": "未联系上"},
    "reverification": {"continuing": "在岗且正常缴纳社保", "ended": "劳动合同已解除或终止"},
}


class TaskRefused(ValueError):
    pass


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    import calendar
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def complete_task(session: Session, task_id: str, *, result: str, by: str, note: str = "",
                  ended: str | None = None, actor: str | None = None) -> StaffTask:
    try:
        key = uuid.UUID(task_id) if len(task_id) > 8 else None
    except ValueError:
        key = None
    task = session.get(StaffTask, key) if key else session.exec(
        select(StaffTask).where(StaffTask.id.is_not(None))).all()
    if isinstance(task, list):                     # an 8-character prefix, as `tasks list` prints
        matches = [t for t in task if t.id.hex.startswith(task_id.lower())]
        task = matches[0] if len(matches) == 1 else None
    if task is None:
        raise TaskRefused(f"找不到待办 {task_id}")
    if task.status == "done":
        raise TaskRefused(f"该待办已由 {task.done_by} 办结，不能重复登记")
    allowed = RESULTS.get(task.kind, {})
    if allowed and result not in allowed:
        raise TaskRefused(f"结果应为：{'、'.join(f'{k}（{v}）' for k, v in allowed.items())}")
    if not by.strip():
        raise TaskRefused("请填写办理人姓名")
    if task.kind == "reverification" and result == "ended" and not ended:
        raise TaskRefused("劳动合同已解除或终止的，请用 --ended YYYY-MM 写明最后在岗月份")
    task.status, task.result = "done", {"result": result, "label": allowed.get(result, result), "note": note}
    task.done_by, task.done_at = by.strip()[:60], now()
    session.add(task)
    if task.application_id:
        session.add(Event(application_id=task.application_id, entity=f"task:{task.kind}", entity_id=task.id,
                          from_status="open", to_status="done", actor=actor or f"cli:{task.done_by}",
                          note=f"{task.title}：{allowed.get(result, result)}"))
    if task.kind == "fair_outcome" and result == "hired":
        start_visits(session, task, placed_on=today())
    if task.kind == "reverification":
        reverified(session, task, result, ended)
    session.flush()
    return task


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


def reverified(session: Session, task: StaffTask, result: str, ended: str | None) -> None:
    """The January check's result on the schedule: the year is verified; an ended contract stops
    the schedule at its last month (that year's amount recomputed, later years stopped), and the
    enterprise is sent its 年度核验结果 through the station (a staff message)."""
    from onematter.matters.employer_incentive.models import IncentiveClaim, IncentiveYear
    from onematter.followups.outbox import enqueue
    from onematter.matters.employer_incentive.rules import incentive_schedule
    claim = session.get(IncentiveClaim, uuid.UUID(task.subject["claim"]))
    years = {y.year: y for y in session.exec(select(IncentiveYear).where(IncentiveYear.claim_id == claim.id)).all()}
    if result == "ended":
        try:
            last = dt.date.fromisoformat(f"{ended}-01")
        except ValueError:
            raise TaskRefused("--ended 应为年月，格式 YYYY-MM") from None
        kept = {r["year"]: r for r in incentive_schedule(rate_yuan=claim.rate_yuan, start=claim.window_start,
                                                         contract_end=min(last, claim.contract_end),
                                                         months=load_policy().block("incentive", _policy_model()).months)}
        for year, row in years.items():
            if year in kept:
                row.months, row.amount_yuan = kept[year]["months"], kept[year]["amount_yuan"]
            else:
                row.status = "stopped"
            session.add(row)
    year = years.get(task.subject["year"])
    if year is not None and year.status != "stopped":
        year.status = "verified"
        session.add(year)
    total = sum(y.amount_yuan for y in years.values() if y.status != "stopped")
    if result == "ended":             # the enterprise's 年度核验结果通知书, issued now (its own date)
        from onematter.casework.issuing import issue_all
        from onematter.case.models import MatterCase
        from onematter.config.settings import today
        case = session.get(MatterCase, claim.matter_case_id)
        case.details = {**case.details, "reverification_ended": {
            "year": task.subject["year"], "ended": ended, "on": today().isoformat(), "by": task.done_by,
            "total_before": claim.total_yuan, "total": total}}
        session.add(case)
        session.flush()
        issue_all(session, case.application_id)
    enqueue(session, key=f"reverify_result:{task.id}", kind="reverification_result", audience="staff",
            application_id=task.application_id,
            payload={"employer": claim.employer_name, "year": task.subject["year"],
                     "result": RESULTS["reverification"][result], "total": f"{total:,}"})


def _policy_model():
    from onematter.matters.employer_incentive import IncentivePolicy
    return IncentivePolicy
