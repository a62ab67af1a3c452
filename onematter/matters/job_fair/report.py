"""专场招聘会's lines in the monthly report: the hires recorded from fair outcomes that month."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from onematter.case.models import StaffTask
from onematter.matters.spec import MatterReport, ReportLine


def figures(session: Session, start: dt.datetime, end: dt.datetime) -> dict:
    hires = session.exec(select(StaffTask.result).where(StaffTask.kind == "fair_outcome", StaffTask.status == "done",
                                                        StaffTask.done_at >= start, StaffTask.done_at < end)).all()
    return {"placements": {"fair_hires": sum(1 for r in hires if (r or {}).get("result") == "hired")}}


def lines(f: dict) -> list[ReportLine]:
    n = f["placements"]["fair_hires"]
    return [ReportLine("安置", "招聘会录用", n, "招聘会录用（登记结果为已录用）", f"{n}人")]


REPORT = MatterReport(figures=figures, lines=lines)
