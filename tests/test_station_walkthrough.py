"""One window at every station, in Debian's Chromium (issue 20): a clerk at 乍浦镇 takes an
application whose incentive is decided at the centre (按责转办), sees its progress but not the
centre's cases; the centre's supervisor claims and decides it; the clerk records the hand-over
to the veteran and to the enterprise (已出件); the veteran checks progress and rates the service
on a phone (375×667). Screenshots when ONEMATTER_SCREENSHOTS names a folder."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from onematter.case.models import Application, Document, MatterCase, Notification, Person, Rating
from tests.conftest import make_id
from tests.test_served import CHROMIUM_ARGS, _attach_materials, _fill_form, sign_in
from tests.test_staff_browser import PASSWORD, _process_here, _shot, web  # noqa: F401 — the fixture

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)   # pages: the database is tested elsewhere

ZHAPU, CENTRE = "乍浦镇退役军人服务站", "平湖市退役军人服务中心"


def test_a_station_takes_the_centre_decides_the_veteran_rates(web, session, monkeypatch):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from onematter.case.accounts import add_user
    from onematter.casework.issuing import issue_all
    from onematter.config.db import session_scope
    from onematter.services import handover

    def issue_here(*, application_id, application_no, background=False):
        with session_scope() as s:
            issue_all(s, application_id)
    monkeypatch.setattr(handover, "hand_over", _process_here)
    monkeypatch.setattr(handover, "issue_documents", issue_here)
    from onematter.config.settings import get_settings
    monkeypatch.setenv("ONEMATTER_PUBLIC_BASE_URL", web)          # where the QR codes and SMS links point
    get_settings.cache_clear()
    add_user(session, username="zhapu", name="陈乍浦", role="window", station=ZHAPU, password=PASSWORD)
    add_user(session, username="lik", name="李科长", role="supervisor", station=CENTRE, password=PASSWORD)
    session.commit()
    refused: list[str] = []                     # what the Content-Security-Policy blocked: nothing
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # the centre takes one application first: the station's clerk must not see it
        centre = _watched(browser.new_context(locale="zh-CN").new_page(), refused)
        sign_in(centre, f"{web}/applications/new", "wangjue", PASSWORD)
        _fill_form(centre, "330482198808083152", "91330482MA2B3C4D5Y")
        _attach_materials(centre)
        centre.click("#submit-intake")
        centre.wait_for_selector("#packet-link")
        centre_no = centre.inner_text("#application-no")

        clerk = _watched(browser.new_context(locale="zh-CN").new_page(), refused)
        sign_in(clerk, f"{web}/applications/new", "zhapu", PASSWORD)
        _fill_form(clerk, make_id("19900101", seq="123"), "91330482MA2B3C4D5Y")
        _attach_materials(clerk)
        clerk.check('[name="delivery.method"][value="electronic"]')
        clerk.click("#submit-intake")
        clerk.wait_for_selector("#packet-link")
        no = clerk.inner_text("#application-no")
        assert clerk.inner_text("#app-status") == "待审核"
        _shot(clerk, "station-case-waiting")
        clerk.goto(f"{web}/applications")
        listed = clerk.locator("#results a.mono").all_inner_texts()
        assert no in listed and centre_no not in listed
        assert clerk.goto(f"{web}/applications/{centre_no}").status == 404
        clerk.goto(f"{web}/mine")
        assert no in clerk.inner_text("#my-cases")
        _shot(clerk, "station-my-work")

        boss = _watched(browser.new_context(locale="zh-CN").new_page(), refused)
        sign_in(boss, f"{web}/decisions", "lik", PASSWORD)
        boss.goto(f"{web}/decisions?station={ZHAPU}")
        section = boss.locator(f'section[id="{no}-employer_incentive"]')
        assert "乍浦镇退役军人服务站" in section.inner_text() and "未认领" in section.inner_text()
        assert boss.locator(f'section[id="{centre_no}-employer_incentive"]').count() == 0
        section.locator("button[value=claim]").click()
        boss.wait_for_selector(f'section[id="{no}-employer_incentive"][data-assignee="李科长"]')
        assert "station=" in boss.url and boss.locator(f'section[id="{centre_no}-employer_incentive"]').count() == 0
        _shot(boss, "centre-queue-claimed")                       # the filter kept after the claim
        section = boss.locator(f'section[id="{no}-employer_incentive"]')
        section.locator('input[name="decision"][value="approve"]').check()
        section.locator("form.decide button").click()
        boss.wait_for_url(f"**/applications/{no}")

        # the station sees the result; the veteran downloaded nothing yet: not 已出件
        clerk.goto(f"{web}/applications/{no}")
        assert clerk.inner_text("#app-status") == "已办结"
        assert clerk.get_attribute("#served-all", "data-served") == "false"
        clerk.select_option("#handover-to", "enterprise")
        clerk.select_option("#handover-method", "ems")
        clerk.fill("#handover-address", "平湖市乍浦镇雅山中路1号")
        clerk.fill("#handover-tracking", "1101234567890")
        clerk.click("#handover-button")
        clerk.wait_for_selector('tr[data-addressee="enterprise"][data-served="true"]')
        assert clerk.get_attribute("#served-all", "data-served") == "false"
        _shot(clerk, "station-handover")

        # 查询留痕: the supervisor sees the clerk's views of the case, and prints the veteran's record
        boss.goto(f"{web}/audit?station={ZHAPU}")
        assert "web:zhapu" in boss.inner_text("#audit") and no in boss.inner_text("#audit")
        _shot(boss, "centre-audit")
        session.rollback()
        veteran = session.get(Person, session.exec(select(Application).where(Application.application_no == no)).one().person_id)
        boss.goto(f"{web}/audit/person")
        boss.fill('input[name="id_number"]', veteran.id_number)
        boss.click('form[action="/audit/person"] button[type="submit"]')
        boss.wait_for_selector("#access-record")
        assert "/audit/person" == boss.url.split(web, 1)[1] and "web:zhapu" in boss.inner_text("#access-rows")
        _shot(boss, "centre-audit-person")
        browser.close()

    session.rollback()
    app = session.exec(select(Application).where(Application.application_no == no)).one()
    person = session.get(Person, app.person_id)
    receipt = session.exec(select(Document).where(Document.document_no == f"{no}-02")).one()
    sms = session.exec(select(Notification).where(Notification.application_id == app.id,
                                                  Notification.kind == "completed")).one()
    assert app.station == ZHAPU and session.exec(select(MatterCase).where(
        MatterCase.application_id == app.id, MatterCase.matter == "employer_incentive")).one().assignee == "李科长"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        phone = _watched(browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 667}, is_mobile=True,
                                             has_touch=True).new_page(), refused)
        # 办件查询 from the receipt's second QR code (the number and code), then the ID's last 4
        phone.goto(f"{web}/track?no={receipt.document_no}&code={receipt.verification_code}")
        phone.fill("#id_last4", person.id_number[-4:])
        phone.click("#track-form button")
        phone.wait_for_selector("#track-matters")
        assert "审核确认" in phone.inner_text("#track-matters") and person.name not in phone.content()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375
        _shot(phone, "veteran-track")
        # 电子送达: the SMS link, the code and the last 4 → the packet
        phone.goto(sms.payload["collect_url"])
        phone.fill("#code", receipt.verification_code)
        phone.fill("#id_last4", person.id_number[-4:])
        with phone.expect_download() as got:
            phone.click("#collect-form button")
        assert got.value.suggested_filename == f"{no}-办理结果文书.pdf"
        # 好差评 from the 办结 SMS
        phone.goto(sms.payload["rate_url"])
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375
        phone.check('input[name="level"][value="5"]')
        _shot(phone, "veteran-rate")
        phone.click("#rate-form button")
        phone.wait_for_selector("#rated")
        assert refused == []
        # the watch works: an inline script injected into a page is refused, and said so
        phone.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
                       " document.body.appendChild(s); }")
        phone.wait_for_timeout(200)
        assert refused and phone.evaluate("() => window.x") is None
        browser.close()
    session.rollback()
    (rating,) = session.exec(select(Rating)).all()
    assert (rating.level, rating.station, rating.task_id) == (5, ZHAPU, None)
    from onematter.casework.delivery import served_all
    assert served_all(session, app)


def _watched(page, refused: list[str]):
    """The page, its console watched for what the Content-Security-Policy refused."""
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return page


def test_the_list_keeps_its_filters_in_the_url(web, session):  # noqa: F811
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        sign_in(page, f"{web}/applications", "wangjue", PASSWORD)
        page.select_option('select[name="status"]', "completed")
        page.check('input[name="overdue"]')
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r".*status=completed.*overdue=1.*"))
        bookmarked = page.url
        page.goto(f"{web}/applications")
        page.goto(bookmarked)
        assert page.input_value('select[name="status"]') == "completed" and page.is_checked('input[name="overdue"]')
        assert "status=completed" in page.get_attribute("#export-csv", "href")
        browser.close()
