"""好差评 (domain.md §1.4): the 办结通知书 carries the rating page's QR code and the 办结 SMS its
link; one rating per application, five levels, a reason for 不满意/非常不满意; a 差评 opens a 整改
task for the taking station, due in `rating.rectify_days` working days, that needs its result and
回访 written down and escalates when overdue; the figures per station (ratings, 好评率, 差评,
整改率) match rows counted independently; the page works on a phone (375×667, Chromium)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import select

from onematter.case.models import Document, Notification, Rating, StaffTask
from tests.test_delivery import _complete
from tests.test_staff_browser import web  # noqa: F401 — the fixture

CENTRE, ZHAPU = "平湖市退役军人服务中心", "乍浦镇退役军人服务站"


def _client() -> TestClient:
    from onematter.web.app import create_app
    return TestClient(create_app())


def _link(session) -> dict:
    sms = session.exec(select(Notification).where(Notification.kind == "completed")).one()
    q = parse_qs(urlparse(sms.payload["rate_url"]).query)
    return {"no": q["no"][0], "code": q["code"][0]}


def _post(c: TestClient, link: dict, **data):
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/rate", params=link).text).group(1)
    return c.post("/rate", data={"csrf_token": token, **link, **data})


def test_a_bad_rating_needs_a_reason_and_opens_a_rectification_that_escalates(session, catalogue, form):
    from onematter.casework.schedule import escalate_tasks
    from onematter.casework.staff_tasks import TaskRefused, complete_task
    from onematter.config.settings import today
    from onematter.policy import load_policy
    from onematter.rules.workdays import add_working_days
    no = _complete(session, form)
    link = _link(session)
    completion = session.exec(select(Document).where(Document.doc_key == "completion")).one()
    assert link == {"no": completion.document_no, "code": completion.verification_code}
    text = "".join(p.extract_text() for p in PdfReader(completion.path).pages).replace(" ", "").replace("\n", "")
    assert "请您评价本次服务（好差评）" in text and "扫码评价" in text and "15个工作日内整改并回访" in text

    c = _client()
    assert "评价链接无效" in c.get("/rate", params={**link, "code": "00000-00000"}).text
    assert f"联办申请 <span class=\"mono\">{no}</span> 的办理服务" in c.get("/rate", params=link).text
    refused = _post(c, link, level="2")
    assert refused.status_code == 422 and 'data-error-for="reasons"' in refused.text and "请至少选择一项原因" in refused.text
    refused = _post(c, link, level="1", reasons=["efficiency", "other"])
    assert refused.status_code == 422 and "选择“其他”时请写明具体意见" in refused.text
    assert _post(c, link, level="7").status_code == 422
    session.rollback()
    assert session.exec(select(Rating)).all() == [] and session.exec(select(StaffTask)).all() == []

    done = _post(c, link, level="2", reasons=["efficiency", "attitude"], text="等了很久，窗口态度一般")
    assert done.status_code == 200 and "感谢您的评价" in done.text and "不满意" in done.text
    assert "已评价（不满意）" in c.get("/rate", params=link).text            # the page says so, no form
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/collect").text).group(1)
    again = c.post("/rate", data={"csrf_token": token, **link, "level": "5"})
    assert again.status_code == 409 and "已评价" in again.text and 'id="rate-form"' not in again.text
    session.rollback()
    (rating,) = session.exec(select(Rating)).all()
    (task,) = session.exec(select(StaffTask).where(StaffTask.kind == "rectify")).all()
    assert (rating.level, rating.reasons, rating.station) == (2, ["efficiency", "attitude"], CENTRE)
    assert task.station == CENTRE and rating.task_id == task.id
    assert task.due_on == add_working_days(today(), 15, load_policy())
    assert task.title == f"差评整改：{no}（不满意：办事效率、服务态度），“等了很久，窗口态度一般”"

    overdue = add_working_days(task.due_on, 1, load_policy())
    assert escalate_tasks(session, overdue) == 1
    session.commit()
    assert session.get(StaffTask, task.id).escalated_at is not None
    with pytest.raises(TaskRefused, match="写明整改情况和回访结果"):
        complete_task(session, str(task.id), result="rectified", by="王站长", note="")
    complete_task(session, str(task.id), result="rectified", by="王站长", note="已对窗口人员培训；电话回访，申请人表示认可")
    session.commit()

    from typer.testing import CliRunner
    from onematter.cli import app as cli
    out = CliRunner().invoke(cli, ["ratings", "list", "--json"])
    assert out.exit_code == 0, out.stdout
    (row,) = json.loads(out.stdout)
    assert row["application_no"] == no and row["level_label"] == "不满意" and row["reasons"] == ["办事效率", "服务态度"]
    assert row["task"]["status"] == "done" and row["task"]["result"] == "已整改，已回访" and row["task"]["escalated"]


def test_the_figures_per_station_match_the_rows(session, catalogue, form):
    """Ratings placed directly (each on its own application), some 差评 rectified: the figures the
    report and the staff page show, against a count of the same rows done here."""
    from onematter.casework.applications import submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.ratings import figures
    from onematter.casework.report import figures as report_figures
    from onematter.casework.report import to_csv
    from onematter.config.settings import today
    from tests.conftest import make_id
    levels = {CENTRE: [5, 5, 4, 3, 2, 1, 1], ZHAPU: [4, 3, 3, 1]}
    rectified = {CENTRE: 2, ZHAPU: 0}
    seq = 300
    for station, given in levels.items():
        done_bad = 0
        for level in given:
            seq += 1
            data = {**form, "idempotency_key": f"r{seq}", "staff": {"name": "王珏", "station": station},
                    "applicant": {**form["applicant"], "id_number": make_id("19910101", seq=str(seq))}}
            app, _ = submit_application(session, parse_intake(data), actor="t")
            app.open_person_id = None
            task = None
            if level <= 2:
                done = done_bad < rectified[station]
                done_bad += done
                task = StaffTask(key=f"rectify:{app.id}", kind="rectify", title="t", station=station, due_on=today(),
                                 application_id=app.id, status="done" if done else "open")
                session.add(task)
                session.flush()
            session.add(Rating(application_id=app.id, station=station, level=level,
                               reasons=["efficiency"] if level <= 2 else [], task_id=task.id if task else None))
    session.commit()
    month = today().replace(day=1)
    nxt = (month.replace(day=28) + __import__("datetime").timedelta(days=4)).replace(day=1)
    got = figures(session, month, nxt)
    for station, given in levels.items():
        rows = session.exec(select(Rating).where(Rating.station == station)).all()
        good = sum(1 for r in rows if r.level >= 4)
        bad = [r for r in rows if r.level <= 2]
        fixed = sum(1 for r in bad if session.get(StaffTask, r.task_id).status == "done")
        assert got[station]["ratings"] == len(rows) == len(given)
        assert got[station]["good"] == good and got[station]["good_rate"] == round(good / len(rows) * 100, 1)
        assert got[station]["bad"] == len(bad) and got[station]["rectified"] == fixed
        assert got[station]["rectify_rate"] == round(fixed / len(bad) * 100, 1)
    assert got[CENTRE]["good_rate"] == 42.9 and got[ZHAPU]["rectify_rate"] == 0.0
    f = report_figures(session, month)
    assert f["ratings"] == got
    assert f"好差评：{CENTRE},好评率（%）,42.9" in to_csv(f)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)        # a page, not the database
def test_rating_on_a_phone(web, session, form):  # noqa: F811
    """375×667 in Debian's Chromium: nothing wider than the screen, the five levels, a 差评 refused
    without a reason, then given with one."""
    from playwright.sync_api import sync_playwright

    from tests.test_served import CHROMIUM_ARGS
    from tests.test_staff_browser import _shot
    _complete(session, form)
    link = _link(session)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 667}, is_mobile=True,
                                   has_touch=True).new_page()
        page.goto(f"{web}/rate?no={link['no']}&code={link['code']}")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 375).map(e => e.tagName + '.' + e.className)""")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, wide
        levels = [t.strip() for t in page.locator("label.level").all_inner_texts()]
        assert levels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
        page.check('input[name="level"][value="1"]')
        page.click('button[type="submit"]')
        page.wait_for_selector('[data-error-for="reasons"]')
        _shot(page, "rate-error")
        page.check('input[name="reasons"][value="materials"]')
        page.fill("#text", "材料要求说明不清楚")
        page.click('button[type="submit"]')
        page.wait_for_selector("#rated")
        assert "感谢您的评价" in page.inner_text("#rated")
        _shot(page, "rate-done")
        browser.close()
    session.rollback()
    (rating,) = session.exec(select(Rating)).all()
    assert rating.level == 1 and rating.reasons == ["materials"] and rating.text == "材料要求说明不清楚"
