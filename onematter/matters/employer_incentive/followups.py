"""企业吸纳优惠's follow-up (domain.md §4): the January re-verification. On the first working day of
January, every confirmed incentive with a year still scheduled gets a staff task to check that the
employment and the social insurance continue; its result verifies the year, or — the contract
ended — stops the schedule at the last month on the job and makes the enterprise due its
年度核验结果通知书 (document 21; the core issues it)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Session, select

from onematter.case.models import Application, MatterCase, StaffTask
from onematter.config.settings import today
from onematter.followups.days import first_working_day_of_january
from onematter.followups.outbox import enqueue
from onematter.followups.tasks import TaskRefused, create_task
from onematter.matters.employer_incentive.models import IncentiveClaim, IncentiveYear
from onematter.matters.employer_incentive.policy import incentive_policy
from onematter.matters.employer_incentive.rules import incentive_schedule
from onematter.matters.spec import Followup, TaskKind
from onematter.policy import load_policy
from onematter.rules.workdays import add_working_days

RESULTS = {"continuing": "在岗且正常缴纳社保", "ended": "劳动合同已解除或终止"}


def reverification_tasks(session: Session, day: dt.date) -> int:
    """The first working day of January: for every confirmed incentive with years left, a task to
    check that employment and social insurance continue (years 2 and 3)."""
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
        made += create_task(session, key=f"reverify:{claim.id}:{day.year}", kind="reverification",
                            title=f"企业吸纳优惠年度核验：{claim.employer_name}（{app.application_no}，{day.year}年度）",
                            station=app.station, due=add_working_days(day, 10, policy), application=app,
                            person_id=app.person_id, subject={"claim": str(claim.id), "year": day.year})
    return made


def _last_month(ended: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{ended}-01")
    except ValueError:
        raise TaskRefused("--ended 应为年月，格式 YYYY-MM") from None


def check(task: StaffTask, result: str, ended: str | None) -> None:
    if result == "ended" and not ended:
        raise TaskRefused("劳动合同已解除或终止的，请用 --ended YYYY-MM 写明最后在岗月份")
    if result == "ended":
        last, day = _last_month(ended), today()
        if last > day.replace(day=1):         # the notice is dated on the check: it cannot report a later month
            raise TaskRefused(f"最后在岗月份 {last.year}年{last.month}月 晚于核验日期（{day.year}年{day.month}月{day.day}日）"
                              "所在月份，请核对")


def reverified(session: Session, task: StaffTask, result: str, ended: str | None) -> bool:
    """The January check's result on the schedule: the year is verified; an ended contract stops
    the schedule at its last month (that year's amount recomputed, later years stopped), and the
    enterprise is sent its 年度核验结果 through the station (a staff message) and is due its
    年度核验结果通知书 (returns True: the application's documents are to be issued)."""
    claim = session.get(IncentiveClaim, uuid.UUID(task.subject["claim"]))
    years = {y.year: y for y in session.exec(select(IncentiveYear).where(IncentiveYear.claim_id == claim.id)).all()}
    if result == "ended" and _last_month(ended) < claim.window_start.replace(day=1):
        start = claim.window_start
        raise TaskRefused(f"最后在岗月份 {ended} 早于享受优惠的起始月份（{start.year}年{start.month}月），请核对")
    if result == "ended":
        last = _last_month(ended)
        kept = {r["year"]: r for r in incentive_schedule(rate_yuan=claim.rate_yuan, start=claim.window_start,
                                                         contract_end=min(last, claim.contract_end),
                                                         months=incentive_policy().months)}
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
    if result == "ended":             # the enterprise's 年度核验结果通知书, due now (its own date)
        case = session.get(MatterCase, claim.matter_case_id)
        case.details = {**case.details, "reverification_ended": {
            "year": task.subject["year"], "ended": ended, "on": today().isoformat(), "by": task.done_by,
            "total_before": claim.total_yuan, "total": total}}
        session.add(case)
        session.flush()
    enqueue(session, key=f"reverify_result:{task.id}", kind="reverification_result", audience="staff",
            application_id=task.application_id,
            payload={"employer": claim.employer_name, "year": task.subject["year"],
                     "result": RESULTS[result], "total": f"{total:,}"})
    return result == "ended"


def sample_followup(session: Session, application_id: uuid.UUID) -> list[tuple[str, dict, dt.date]]:
    """`onematter samples`: next January's re-verification of the sample's approved incentive,
    recorded on that day (the notice is dated on the check), finding the contract ended the
    November before."""
    year = today().year + 1
    day = next(dt.date(year, 1, d) for d in range(1, 15) if first_working_day_of_january(dt.date(year, 1, d)))
    reverification_tasks(session, day)
    task = session.exec(select(StaffTask).where(StaffTask.kind == "reverification",
                                                StaffTask.application_id == application_id)).first()
    return [] if task is None else [(str(task.id), {"result": "ended", "by": "王珏", "ended": f"{year - 1}-11"}, day)]


FOLLOWUPS = (Followup(8, "reverification_tasks", reverification_tasks, rank=70),)
TASKS = (TaskKind("reverification", RESULTS, check=check, done=reverified),)
