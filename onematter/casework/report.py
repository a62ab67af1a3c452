"""The monthly statistics (domain.md §4): the previous month's figures from our rows, as a PDF in
the house style (tables and SVG charts drawn by pygal, embedded in the WeasyPrint document) and a
CSV, under $ONEMATTER_DATA_DIR/reports/<YYYY-MM>/. No personal data: counts and amounts only.
The core counts applications, matters, towns, timeliness and messages; each matter adds its own
figures and lines (`MatterSpec.report`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

from markupsafe import Markup
from sqlmodel import Session, func, select

from onematter import matters
from onematter.case.models import Application, MatterCase, Notification
from onematter.config.settings import TZ, get_settings, local
from onematter.casework import ratings
from onematter.documents import render as docs
from onematter.documents.files import write_atomically
from onematter.matters.spec import ReportLine


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
    delivery = dict(session.exec(select(Notification.status, func.count())
                                 .where(Notification.created_at >= start_at, Notification.created_at < end_at)
                                 .group_by(Notification.status)).all())
    f = {
        "month": month.isoformat()[:7],
        "applications": applications,
        "matters": {m: dict(sorted(c.items())) for m, c in sorted(by_matter.items(), key=lambda kv: matters.spec(kv[0]).order)},
        "towns": dict(sorted(by_town.items(), key=lambda kv: (-kv[1], kv[0]))),
        "completed": len(done), "on_time": on_time,
        "on_time_rate": round(on_time / len(done) * 100, 1) if done else None,
    }
    for s in matters.all_specs():                  # each matter's own figures, in registry order
        if s.report:
            _merge(f, s.report.figures(session, start_at, end_at))
    f["delivery"] = {k: delivery.get(k, 0) for k in ("sent", "failed", "suppressed", "pending")}
    f["ratings"] = ratings.figures(session, start, end)        # 好差评 per station (domain.md §1.4)
    return f


def _merge(into: dict, part: dict) -> None:
    for k, v in part.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


def lines(f: dict) -> list[ReportLine]:
    """The matters' lines of the month (section 四 of the report and the CSV), in registry order."""
    return [line for s in matters.all_specs() if s.report for line in s.report.lines(f)]


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
    for line in lines(f):
        w.writerow([line.group, line.item, line.value])
    labels = {"sent": "已发送", "failed": "发送失败", "suppressed": "已退订", "pending": "待发送"}
    for k, n in f["delivery"].items():
        w.writerow(["消息发送", labels[k], n])
    for station, r in f.get("ratings", {}).items():
        w.writerow([f"好差评：{station}", "评价数", r["ratings"]])
        w.writerow([f"好差评：{station}", "好评率（%）", "" if r["good_rate"] is None else r["good_rate"]])
        w.writerow([f"好差评：{station}", "差评", r["bad"]])
        w.writerow([f"好差评：{station}", "整改率（%）", "" if r["rectify_rate"] is None else r["rectify_rate"]])
    return out.getvalue()


def _chart(kind: str, title: str, labels: list[str], series: dict[str, list[int]]) -> str:
    import pygal  # lazy: pygal only when a report is drawn
    from pygal.style import Style  # lazy: pygal only when a report is drawn
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
               "lines": lines(f),
               "issuing_body": get_settings().issuing_body, "issued_on": dt.datetime.now(TZ).date().isoformat()}
    html = docs.render_html("report/document.html", context | {"charts": [Markup(c) for c in charts]})
    document = docs.html_document(html)
    pdf = docs.write_pdf(document, target / f"月度统计-{f['month']}.pdf")
    csv_path = target / f"月度统计-{f['month']}.csv"
    write_atomically(csv_path, to_csv(f).encode("utf-8-sig"))
    return {"figures": f, "pdf": str(target / f"月度统计-{f['month']}.pdf"), "csv": str(csv_path),
            "pages": len(document.pages), "size_bytes": len(pdf)}
