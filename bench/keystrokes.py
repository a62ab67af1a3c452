"""What a clerk does for one complete four-matter application (training, job push, job fair, the
employer incentive) on the staff page, counted on the real page in Debian's chromium: key presses
(each character typed, plus Tab between fields) and clicks (a tick, a list opened and an item
chosen, a file dialog opened and a scan chosen, the print button, submit) — without materials and
with the five scans the matters need, the signed form printed first. The page is served in this
process (no Prefect: the count is of the clerk's work, not of processing). Prints a table.

    .venv/bin/python bench/keystrokes.py
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
PASSWORD = "bench-pass-1"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCANS = {"signed_form": "signed-form.png", "id_card": "id-card.png", "discharge_certificate": "discharge-certificate.png",
         "labour_contract": "labour-contract.pdf", "social_insurance_record": "social-insurance-record.png"}


class Clerk:
    """Drives the page and counts what a person would press."""

    def __init__(self, page):
        self.page, self.keys, self.clicks = page, 0, 0

    def type(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self.keys += len(text) + 1                   # the characters, then Tab to the next field

    def choose(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)
        self.clicks += 2                             # open the list, pick the item

    def tick(self, selector: str) -> None:
        self.page.check(selector)
        self.clicks += 1

    def scan(self, item: str) -> None:
        self.page.set_input_files(f'[name="materials.{item}"]', str(REPO / "examples" / "materials" / SCANS[item]))
        self.clicks += 3                             # open the dialog, pick the 高拍仪's file, 打开

    def click(self, selector: str, dialog: int = 0) -> None:
        self.clicks += 1 + dialog
        self.page.click(selector)


def application(clerk: Clerk, id_number: str, *, materials: bool) -> None:
    c = clerk
    c.type('[name="applicant.id_number"]', id_number)
    c.type('[name="applicant.name"]', "韩卫东")            # an IME: pinyin keys are more; counted as characters
    c.type('[name="applicant.mobile"]', "13857300808")
    c.type('[name="applicant.discharge_date"]', "20250901")
    for key, value in (("category", "军士"), ("placement", "自主就业"), ("education", "高中"), ("town", "钟埭街道")):
        c.choose(f'[name="applicant.{key}"]', value)
    c.type('[name="applicant.intentions.categories"]', "制造")
    c.tick('[name="applicant.intentions.towns"][value="钟埭街道"]')
    for matter in ("training", "job_push", "job_fair", "employer_incentive"):
        c.tick(f'[name="matters.{matter}"]')
    c.choose('[name="matters.training.course"]', "PX-DZSW-01")
    c.type('[name="matters.employer_incentive.employer_name"]', "平湖示例汽车零部件有限公司")
    c.type('[name="matters.employer_incentive.employer_code"]', "91330482MA2B3C4D5Y")
    c.type('[name="matters.employer_incentive.position"]', "装配工")
    c.type('[name="matters.employer_incentive.contract_start"]', "20260401")
    c.type('[name="matters.employer_incentive.contract_end"]', "20290331")
    c.page.fill('[name="matters.employer_incentive.social_insurance_start"]', "2026-04")
    c.keys += 7
    if materials:
        with c.page.context.expect_page() as printed:       # 打印申请表（待签字）, then the print dialog's 打印
            c.click("#print-form", dialog=1)
        printed.value.close()
        for item in SCANS:
            c.scan(item)
    c.tick('[name="consent"]')
    c.click("#submit-intake")
    c.page.wait_for_selector("#application-no")


def main() -> None:
    import stack
    import uvicorn

    from onematter.case.accounts import add_user
    from onematter.config.db import session_scope
    from onematter.runtime.serve import free_port
    from onematter.services import handover
    from onematter.web.app import create_app
    stack.prepare("onematter-bench-keys-")
    with session_scope() as s:
        add_user(s, username="bench", name="测试员", role="window", station="平湖市退役军人服务中心", password=PASSWORD)
    handover.hand_over = lambda **kw: None                  # the clerk's work only
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    web = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, materials, id_number in (("without materials", False, "330482198808083152"),
                                            ("with the five scans, the form printed first", True, "330482199001014513")):
            page = browser.new_context(locale="zh-CN").new_page()
            page.goto(f"{web}/applications/new")                  # → the login page first
            page.fill("#username", "bench")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/applications/new")
            clerk = Clerk(page)
            application(clerk, id_number, materials=materials)
            rows.append((label, clerk.keys, clerk.clicks))
        browser.close()
    server.should_exit = True
    print("| four-matter application | key presses | clicks |")
    print("| --- | ---: | ---: |")
    for label, keys, clicks in rows:
        print(f"| {label} | {keys} | {clicks} |")


if __name__ == "__main__":
    main()
