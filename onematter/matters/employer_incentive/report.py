"""企业吸纳优惠's lines in the monthly report: the incentives confirmed that month, and the
deduction limits they confirmed, year by year. Counted by the database (GROUP BY, SUM)."""

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
    amounts = dict(session.exec(select(IncentiveYear.year, func.sum(IncentiveYear.amount_yuan))
                                .join(IncentiveClaim, IncentiveClaim.id == IncentiveYear.claim_id)
                                .where(IncentiveClaim.matter_case_id.in_(approved))
                                .group_by(IncentiveYear.year)).all())
    return {"placements": {"incentive_approved": approved_in_month},
            "incentive_by_year": {int(y): int(v) for y, v in sorted(amounts.items())}}


def lines(f: dict) -> list[ReportLine]:
    n = f["placements"]["incentive_approved"]
    return [ReportLine("安置", "企业吸纳优惠审核确认", n, "企业吸纳优惠审核确认", f"{n}人")] + [
        ReportLine("企业吸纳优惠扣减限额（元）", str(year), amount, f"本月确认的扣减限额：{year}年度", f"{amount:,}元")
        for year, amount in f["incentive_by_year"].items()]


REPORT = MatterReport(figures=figures, lines=lines)
