"""The staff page's form in Debian's Chromium (Playwright), against the app served in this process
(handing an application to Prefect recorded, not run — tests/test_served.py runs it for real):
预审 before submitting, a draft that is never filled in silently, dates as typed, the error
summary, and the same person's finished application shown before a second is made."""

from __future__ import annotations

import os
import threading
import time

import pytest
import uvicorn
from sqlmodel import select

from onematter.case.models import Application
from onematter.runtime.serve import free_port
from tests.test_served import CHROMIUM_ARGS, _fill_form, sign_in

PASSWORD = "window-pass-1"


@pytest.fixture
def web(db, catalogue, session, monkeypatch):
    from onematter.case.accounts import add_user
    from onematter.services import handover
    from onematter.web.app import create_app
    add_user(session, username="wangjue", name="王珏", role="window", station="平湖市退役军人服务中心", password=PASSWORD)
    session.commit()
    monkeypatch.setattr(handover, "hand_over", lambda **kw: None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_the_form_at_the_window(web, session):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        sign_in(page, f"{web}/applications/new", "wangjue", PASSWORD)

        # 预审: an officer choosing the incentive is warned before submitting
        _fill_form(page, "330482198808083152", "91330482MA2B3C4D5Y")
        page.select_option('[name="applicant.category"]', "军官")
        page.wait_for_selector('[data-precheck="employer_incentive"].refused', timeout=15_000)
        assert "将不予受理" in page.inner_text('[data-precheck="employer_incentive"]')
        assert "劳动合同" in page.inner_text('[data-precheck="employer_incentive"]')
        assert page.get_attribute('[data-precheck="training"]', "class") == "eligible"

        # a new form starts empty: the draft is offered, naming whose it is, and 清空 discards it
        page.goto(f"{web}/applications/new")
        page.wait_for_selector("#draft-notice")
        assert "韩**" in page.inner_text("#draft-notice")
        assert page.input_value('[name="applicant.id_number"]') == ""
        page.click("#draft-clear")
        assert page.query_selector("#draft-notice") is None
        page.reload()
        assert page.query_selector("#draft-notice") is None and page.input_value('[name="applicant.name"]') == ""

        # a reload restores the draft and says so
        page.fill('[name="applicant.name"]', "韩卫东")
        page.reload()
        page.wait_for_selector("#draft-notice")
        assert "已恢复" in page.inner_text("#draft-notice") and page.input_value('[name="applicant.name"]') == "韩卫东"
        page.click("#draft-clear")

        # errors: a summary that takes focus and links to each field; the date typed is kept
        _fill_form(page, "330482198808083152", "91330482MA2B3C4D5Y")
        page.fill('[name="applicant.discharge_date"]', "2025年13月1日")
        page.fill('[name="applicant.mobile"]', "12345")
        page.click("#submit-intake")
        page.wait_for_selector("#error-summary")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        links = [a.inner_text() for a in page.query_selector_all("#error-summary a")]
        assert any(t.startswith("退役时间：") for t in links) and any(t.startswith("手机号码：") for t in links), links
        page.click('#error-summary a[data-field="applicant.mobile"]')
        assert page.evaluate("document.activeElement.name") == "applicant.mobile"
        assert page.input_value('[name="applicant.discharge_date"]') == "2025年13月1日"

        # a date typed 20250901 is taken
        page.fill('[name="applicant.discharge_date"]', "20250901")
        page.fill('[name="applicant.mobile"]', "13857300808")
        page.click("#submit-intake")
        page.wait_for_selector("#application-no")
        no = page.inner_text("#application-no")
        session.rollback()
        stored = session.exec(select(Application).where(Application.application_no == no)).one()
        assert stored.form["applicant"]["discharge_date"] == "2025-09-01"

        # finished today, the same matters submitted again: shown first, not made twice
        stored.status = "completed"
        stored.open_person_id = None
        session.add(stored)
        session.commit()
        page.goto(f"{web}/applications/new")
        _fill_form(page, "330482198808083152", "91330482MA2B3C4D5Y")
        page.click("#submit-intake")
        page.wait_for_selector("#done-today")
        assert no in page.inner_text("#done-today")
        session.rollback()
        assert len(session.exec(select(Application)).all()) == 1
        browser.close()


def _shot(page, name: str) -> None:
    """A screenshot to look at, when ONEMATTER_SCREENSHOTS names a folder."""
    folder = os.environ.get("ONEMATTER_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _process_here(**kw) -> None:
    """The hand-over, done here without Prefect: the same casework the flow runs (each matter's
    rule or 补正, the application settled, its documents issued)."""
    from onematter.casework.applications import matter_cases, settle_application
    from onematter.casework.issuing import issue_all
    from onematter.casework.processing import process_matter
    from onematter.config.db import session_scope
    with session_scope() as s:
        app = s.get(Application, kw["application_id"])
        for case in matter_cases(s, app.id):
            process_matter(s, case.id, actor="flow")
        settle_application(s, app, actor="flow")
    with session_scope() as s:
        issue_all(s, kw["application_id"])


def test_scans_at_the_window_and_the_correction(web, session, monkeypatch):
    """The checklist follows the ticked matters; the scans go up with the form; the missing one is
    told once (待补正) and uploaded later on the case page, and the matter moves on; the supervisor
    sees the scans beside the facts."""
    from playwright.sync_api import sync_playwright

    from onematter.case.accounts import add_user
    from onematter.case.models import MaterialFile, MatterCase
    from onematter.services import handover
    from tests.test_served import REPO, SCANS, _attach_materials
    monkeypatch.setattr(handover, "hand_over", _process_here)
    add_user(session, username="lik", name="李科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
    session.commit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        sign_in(page, f"{web}/applications/new", "wangjue", PASSWORD)
        _fill_form(page, "330482198808083152", "91330482MA2B3C4D5Y")

        def shown() -> set[str]:
            return {li.get_attribute("data-material") for li in page.query_selector_all("[data-material]")
                    if li.is_visible()}
        assert shown() == {"signed_form", "id_card", "discharge_certificate", "labour_contract",
                           "social_insurance_record"}
        page.check('[name="matters.education"]')
        assert "diploma" in shown()
        page.uncheck('[name="matters.education"]')
        page.uncheck('[name="matters.employer_incentive"]')
        assert shown() == {"signed_form", "id_card", "discharge_certificate"}
        page.check('[name="matters.employer_incentive"]')
        _attach_materials(page, [k for k in SCANS if k != "social_insurance_record"])
        page.set_viewport_size({"width": 1280, "height": 900})
        _shot(page, "form-materials")
        page.click("#submit-intake")
        page.wait_for_selector("#application-no")
        no = page.inner_text("#application-no")
        # Back, and submit again what the page shows: the same application, not a second one
        page.go_back()
        page.wait_for_selector("#submitted-notice")
        assert no in page.inner_text("#submitted-notice")
        assert page.input_value('[name="applicant.id_number"]') == "330482198808083152"
        page.click("#submit-intake")
        page.wait_for_selector("#application-no")
        assert page.inner_text("#application-no") == no
        session.rollback()
        assert len(session.exec(select(Application)).all()) == 1
        page.goto(f"{web}/applications/{no}")
        page.wait_for_selector("#correction")
        assert "社会保险缴费记录" in page.inner_text("#correction")
        # each decided matter's facts, without opening a PDF
        facts = {m: page.inner_text(f'#matters tr[data-matter="{m}"] .reason') for m in ("training", "job_push", "job_fair")}
        assert "课程 PX-DZSW-01" in facts["training"] and "地点：" in facts["training"]
        assert "已推送岗位" in facts["job_push"] and "入场凭证码 ZP-" in facts["job_fair"]
        session.rollback()
        app_row = session.exec(select(Application).where(Application.application_no == no)).one()
        assert {f.item for f in session.exec(select(MaterialFile).where(MaterialFile.application_id == app_row.id))} \
            == {"signed_form", "id_card", "discharge_certificate", "labour_contract"}
        incentive = session.exec(select(MatterCase).where(MatterCase.application_id == app_row.id,
                                                          MatterCase.matter == "employer_incentive")).one()
        assert incentive.status == "awaiting_materials"
        _shot(page, "case-correction")

        # 补正 on the case page: the missing item is the one offered first
        assert page.input_value("#material-item") == "social_insurance_record"
        page.set_input_files("#material-file", str(REPO / "examples" / "materials" / SCANS["social_insurance_record"]))
        page.click("#add-materials-button")
        page.wait_for_selector('#matters tr[data-matter="employer_incentive"] td[data-status="pending_decision"]')
        assert page.query_selector("#correction") is None
        assert "合计 " in page.inner_text('#matters tr[data-matter="employer_incentive"] .reason')
        session.rollback()
        session.refresh(incentive)
        assert incentive.status == "pending_decision"

        # the supervisor decides on the evidence: the scans beside the facts
        boss = browser.new_context(locale="zh-CN").new_page()
        sign_in(boss, f"{web}/decisions", "lik", PASSWORD)
        section = boss.locator(f'section.decision[data-no="{no}"]')
        assert section.locator("img.thumb").count() >= 4
        assert "PDF 3 页" in section.inner_text() and "社会保险缴费记录" in section.inner_text()
        _shot(boss, "queue")
        boss.set_viewport_size({"width": 375, "height": 800})
        _shot(boss, "queue-375")
        browser.close()
