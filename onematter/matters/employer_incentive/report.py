"""企业吸纳优惠's lines in the monthly report: the incentives confirmed that month, the deduction
limits they confirmed year by year (as the 审核确认通知书 stated them), and — apart, once a January
re-verification has cut a schedule — the limits as they stand now, the stopped years left out."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, func, select

from onematter.case.models import Decision, MatterCase
from onematter.matters.employer_incentive.models import IncentiveClaim, IncentiveYear
from onematter.matters.spec import MatterReport, ReportLine


def figures(session: Session, start: dt.datetime, end: dt.datetime) -> dict:
    approved = (select(MatterCase.id).join(Decision, Decision.matter_case_id == MatterCase.id)
                .where(MatterCase.matter == "employer_incentive", MatterCase.status == "approved",
                       Decision.decided_at >= start, Decision.decided_at < end))
    approved_in_month = session.exec(select(func.count()).select_from(approved.subquery())).one()
    confirmed: dict[int, int] = {}
    for details in session.exec(select(MatterCase.details).where(MatterCase.id.in_(approved))).all():
        for row in details.get("schedule") or []:          # as decided: the notice's schedule
            confirmed[int(row["year"])] = confirmed.get(int(row["year"]), 0) + int(row["amount_yuan"])
    standing = dict(session.exec(select(IncentiveYear.year, func.sum(IncentiveYear.amount_yuan))
                                 .join(IncentiveClaim, IncentiveClaim.id == IncentiveYear.claim_id)
                                 .where(IncentiveClaim.matter_case_id.in_(approved), IncentiveYear.status != "stopped")
                                 .group_by(IncentiveYear.year)).all())
    adjusted = {int(y): int(v) for y, v in sorted(standing.items())}
    return {"placements": {"incentive_approved": approved_in_month},
            "incentive_by_year": dict(sorted(confirmed.items())),
            # only when a re-verification changed something: the limits as they stand, stopped years out
            "incentive_adjusted_by_year": adjusted if adjusted != dict(sorted(confirmed.items())) else {}}


def lines(f: dict) -> list[ReportLine]:
    n = f["placements"]["incentive_approved"]
    adjusted = f.get("incentive_adjusted_by_year") or {}
    return [ReportLine("安置", "企业吸纳优惠审核确认", n, "企业吸纳优惠审核确认", f"{n}人")] + [
        ReportLine("企业吸纳优惠扣减限额（元）", str(year), amount, f"本月确认的扣减限额：{year}年度", f"{amount:,}元")
        for year, amount in f["incentive_by_year"].items()] + [
        ReportLine("企业吸纳优惠扣减限额（年度核验调整后，元）", str(year), amount,
                   f"其中经年度核验调整后：{year}年度", f"{amount:,}元")
        for year, amount in adjusted.items()]


REPORT = MatterReport(figures=figures, lines=lines)
