"""The monthly statistics (domain.md §4): the previous month's figures from our rows, as a PDF in
the house style (tables and SVG charts drawn by pygal, embedded in the WeasyPrint document) and a
CSV, under $ONEMATTER_DATA_DIR/reports/<YYYY-MM>/. No personal data: counts and amounts only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

from sqlmodel import Session, func, select

from onematter import matters
from onematter.documents.files import write_atomically
from onematter.case.models import Application, Decision, MatterCase, Notification, StaffTask
from onematter.matters.employer_incentive.models import IncentiveClaim, IncentiveYear
from onematter.config.settings import TZ, get_settings, local


def previous_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return month, nxt


def figures(session: Session, month: dt.date) -> dict:
    """Every figure of the report for `month` (its first day). Counted by the database (GROUP BY,
    SUM): a year of 100,000 applications never comes into memory as rows."""
    start, end = _bounds(month)
    start_at = dt.datetime(start.year, start.month, 1, tzinfo=TZ)
    end_at = dt.datetime(end.year, end.month, 1, tzinfo=TZ)
    in_month = (Application.application_date >= start) & (Application.application_date < end)
    applications = session.exec(select(func.count()).select_from(Application).where(in_month)).one()
    by_matter: dict[str, Counter] = defaultdict(Counter)
    for matter, status, n in session.exec(select(MatterCase.matter, MatterCase.status, func.count())
                                          .join(Application, Application.id == MatterCase.application_id)
                                          .where(in_month).group_by(MatterCase.matter, MatterCase.status)).all():
        by_matter[matter][matters.spec(matter).label(status)] += n
    by_town = dict(session.exec(select(Application.town, func.count()).where(in_month)
                                .group_by(Application.town)).all())
    # on time: completed on or before its deadline (in working days, fixed at intake), by local date
    done = session.exec(select(Application.completed_at, Application.deadline)
                        .where(in_month, Application.status == "completed", Application.completed_at.is_not(None))).all()
    on_time = sum(1 for completed_at, deadline in done if local(completed_at).date() <= deadline)
    hires = session.exec(select(StaffTask.result).where(StaffTask.kind == "fair_outcome", StaffTask.status == "done",
                                                        StaffTask.done_at >= start_at, StaffTask.done_at < end_at)).all()
    approved = (select(MatterCase.id).join(Decision, Decision.matter_case_id == MatterCase.id)
                .where(MatterCase.matter == "employer_incentive", MatterCase.status == "approved",
                       Decision.decided_at >= start_at, Decision.decided_at < end_at))
    approved_in_month = session.exec(select(func.count()).select_from(approved.subquery())).one()
    amounts = dict(session.exec(select(IncentiveYear.year, func.sum(IncentiveYear.amount_yuan))
                                .join(IncentiveClaim, IncentiveClaim.id == IncentiveYear.claim_id)
                                .where(IncentiveClaim.matter_case_id.in_(approved))
                                .group_by(IncentiveYear.year)).all())
    delivery = dict(session.exec(select(Notification.status, func.count())
                                 .where(Notification.created_at >= start_at, Notification.created_at < end_at)
                                 .group_by(Notification.status)).all())
    return {
        "month": month.isoformat()[:7],
        "applications": applications,
        "matters": {m: dict(sorted(c.items())) for m, c in sorted(by_matter.items(), key=lambda kv: matters.spec(kv[0]).order)},
        "towns": dict(sorted(by_town.items(), key=lambda kv: (-kv[1], kv[0]))),
        "completed": len(done), "on_time": on_time,
        "on_time_rate": round(on_time / len(done) * 100, 1) if done else None,
        "placements": {"fair_hires": sum(1 for r in hires if (r or {}).get("result") == "hired"),
                       "incentive_approved": approved_in_month},
        "incentive_by_year": {int(y): int(v) for y, v in sorted(amounts.items())},
        "delivery": {k: delivery.get(k, 0) for k in ("sent", "failed", "suppressed", "pending")},
    }


def to_csv(f: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["分类", "项目", "数值"])
    w.writerow(["总体", "受理联办申请", f["applications"]])
    w.writerow(["总体", "已办结", f["completed"]])
    w.writerow(["总体", "按时办结", f["on_time"]])
    w.writerow(["总体", "按时办结率（%）", "" if f["on_time_rate"] is None else f["on_time_rate"]])
    for m, counts in f["matters"].items():
        for label, n in counts.items():
            w.writerow([f"事项：{matters.spec(m).title}", label, n])
    for town, n in f["towns"].items():
        w.writerow(["镇街道", town, n])
    w.writerow(["安置", "招聘会录用", f["placements"]["fair_hires"]])
    w.writerow(["安置", "企业吸纳优惠审核确认", f["placements"]["incentive_approved"]])
    for year, amount in f["incentive_by_year"].items():
        w.writerow(["企业吸纳优惠扣减限额（元）", year, amount])
    labels = {"sent": "已发送", "failed": "发送失败", "suppressed": "已退订", "pending": "待发送"}
    for k, n in f["delivery"].items():
        w.writerow(["消息发送", labels[k], n])
    return out.getvalue()


def _chart(kind: str, title: str, labels: list[str], series: dict[str, list[int]]) -> str:
    import pygal
    from pygal.style import Style
    style = Style(font_family='"OM Sans", "Noto Sans CJK SC", sans-serif', background="white",
                  plot_background="white", colors=("#8c1c13", "#c9772b", "#4a6fa5", "#5b8c5a", "#888888", "#b8860b"),
                  title_font_size=14, label_font_size=11, legend_font_size=11, major_label_font_size=11)
    chart = getattr(pygal, kind)(style=style, width=680, height=260, js=[], disable_xml_declaration=True,
                                 explicit_size=True, legend_at_bottom=True, print_values=False, show_y_guides=True)
    chart.title = title
    chart.x_labels = labels
    top = max([sum(v) for v in zip(*series.values())] or [1])
    step = max(1, -(-top // 8))
    chart.y_labels = list(range(0, top + step, step))          # whole numbers: these are counts
    for name, values in series.items():
        chart.add(name, values)
    svg = chart.render(is_unicode=True)
    svg = re.sub(r"<script.*?</script>", "", svg, flags=re.S)
    return re.sub(r"chart-[0-9a-f-]{36}", "chart", svg)        # deterministic


def render_report(session: Session, month: dt.date, target: Path | None = None) -> dict:
    """Figures, PDF and CSV for `month`; returns {figures, pdf, csv}."""
    from markupsafe import Markup

    from onematter.documents import render as docs
    f = figures(session, month)
    titles = [matters.spec(m).short for m in f["matters"]]
    outcomes = sorted({label for c in f["matters"].values() for label in c})
    charts = []
    if f["matters"]:
        charts.append(_chart("HorizontalStackedBar", "各事项办理结果（件）", titles,
                             {o: [f["matters"][m].get(o, 0) for m in f["matters"]] for o in outcomes}))
    if f["towns"]:
        charts.append(_chart("Bar", "各镇街道受理量（件）", list(f["towns"]), {"受理": list(f["towns"].values())}))
    target = target or get_settings().data_dir / "reports" / f["month"]
    target.mkdir(parents=True, exist_ok=True)
    context = {"figures": f, "titles": {m: matters.spec(m).title for m in f["matters"]}, "outcomes": outcomes,
               "issuing_body": get_settings().issuing_body, "issued_on": dt.datetime.now(TZ).date().isoformat()}
    html = docs.render_html("report/document.html", context | {"charts": [Markup(c) for c in charts]})
    document = docs.html_document(html)
    pdf = docs.write_pdf(document, target / f"月度统计-{f['month']}.pdf")
    csv_path = target / f"月度统计-{f['month']}.csv"
    write_atomically(csv_path, to_csv(f).encode("utf-8-sig"))
    return {"figures": f, "pdf": str(target / f"月度统计-{f['month']}.pdf"), "csv": str(csv_path),
            "pages": len(document.pages), "size_bytes": len(pdf)}
