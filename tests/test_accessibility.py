"""Accessibility of the staff page (government sites follow GB/T 37668-2019, which follows WCAG
2.0): axe-core (the npm package's axe.min.js, as axe-playwright-python ships it) injected by
Playwright into Debian's Chromium finds no serious or critical violation on the login page, the
form with errors, the case page and the supervisor's queue; every form control has a label, and
Tab reaches every control of the form."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_served import CHROMIUM_ARGS, _fill_form, sign_in
from tests.test_staff_browser import PASSWORD, _process_here, web  # noqa: F401 — the fixture

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)   # pages, not the database


def _axe_source() -> str:
    import axe_playwright_python
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def _serious(page) -> list[str]:
    """axe-core's serious and critical violations of WCAG 2.0/2.1 A and AA on the page."""
    page.add_script_tag(content=_axe_source())
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_violation_and_the_form_from_the_keyboard(web, session, monkeypatch):  # noqa: F811
    from playwright.sync_api import sync_playwright
    from sqlmodel import select

    from onematter.case.accounts import add_user
    from onematter.case.models import Application
    from onematter.services import handover
    from tests.test_served import _attach_materials
    monkeypatch.setattr(handover, "hand_over", _process_here)
    add_user(session, username="lik", name="李科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
    session.commit()
    found: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # axe-core is injected as an inline script, which the pages' Content-Security-Policy refuses
        page = browser.new_context(locale="zh-CN", bypass_csp=True).new_page()
        page.goto(f"{web}/login")
        found["login"] = _serious(page)
        sign_in(page, f"{web}/applications/new", "wangjue", PASSWORD)

        # every control of the form has a label, and Tab reaches each one
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('#intake-form input, #intake-form select, #intake-form textarea')]
            .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
            .map(e => e.name)""")
        assert unlabelled == []
        _fill_form(page, "330482198808083152", "91330482MA2B3C4D5Y")
        controls = set(page.evaluate("""() => [...document.querySelectorAll(
            '#intake-form input:not([type=hidden]), #intake-form select, #intake-form button')]
            .filter(e => e.offsetParent !== null && !e.disabled)
            .filter(e => e.type !== 'radio' || e.checked)        // a radio group is one Tab stop: its checked one
            .map(e => e.id || e.name + '=' + e.value)"""))
        page.focus('[name="applicant.id_number"]')
        reached = set()
        for _ in range(len(controls) * 2 + 10):
            reached.add(page.evaluate("() => { const e = document.activeElement; return e.id || e.name + '=' + e.value; }"))
            page.keyboard.press("Tab")
        assert controls <= reached, sorted(controls - reached)

        # the form with errors
        page.fill('[name="applicant.mobile"]', "12345")
        page.click("#submit-intake")
        page.wait_for_selector("#error-summary")
        found["form with errors"] = _serious(page)

        # the case page (waiting for a material), from the keyboard: Enter submits
        page.fill('[name="applicant.mobile"]', "13857300808")
        _attach_materials(page, ["signed_form", "id_card", "discharge_certificate", "labour_contract"])
        page.focus("#submit-intake")
        page.keyboard.press("Enter")
        page.wait_for_selector("#application-no")
        page.wait_for_selector("#correction")
        found["case"] = _serious(page)

        # the supervisor's queue
        no = page.inner_text("#application-no")
        session.rollback()
        assert session.exec(select(Application).where(Application.application_no == no)).one()
        boss = browser.new_context(locale="zh-CN", bypass_csp=True).new_page()
        sign_in(boss, f"{web}/decisions", "lik", PASSWORD)
        found["queue"] = _serious(boss)
        boss.goto(f"{web}/mine")
        found["my work"] = _serious(boss)
        browser.close()
    assert found == {"login": [], "form with errors": [], "case": [], "queue": [], "my work": []}, found
