"""The staff page on the served stack, in Debian's chromium: time from the submit click to the
application number shown, and to the packet's button shown (median of N); a supervisor's decision
on the page, from the click to the final packet's button shown (median of N); side by side with
the CLI's `apply` on the same stack. Starts its own `onematter serve` on free loopback ports, stops
it. Prints a table.

    .venv/bin/python bench/web.py [--runs 10]
    .venv/bin/python bench/web.py --lists [--applications 10000]   # the lists, 10,000 applications
    ONEMATTER_DATABASE_URL=postgresql://postgres@127.0.0.1/onematter_bench \\
    PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://postgres@127.0.0.1/prefect_bench \\
        .venv/bin/python bench/web.py        # both databases on PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
PASSWORD = "bench-pass-1"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lists", action="store_true",
                        help="the list and queue pages with 10,000 applications instead (bench/lists.py)")
    args, rest = parser.parse_known_args()
    if args.lists:
        import lists
        sys.argv = [sys.argv[0], *rest]
        return lists.main()
    import stack
    from onematter.case.accounts import add_user
    from onematter.config.db import session_scope
    from onematter.casework.samples import sample_form
    work = stack.prepare("onematter-bench-web-")
    with session_scope() as s:
        add_user(s, username="bench", name="测试员", role="window", station="平湖市退役军人服务中心", password=PASSWORD)
        add_user(s, username="boss", name="李科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
    proc, port, web_port = stack.start()
    web = f"http://127.0.0.1:{web_port}"
    try:
        from playwright.sync_api import sync_playwright
        page_number, page_packet = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_context(locale="zh-CN").new_page()
            page.goto(f"{web}/login")
            page.fill("#username", "bench")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/applications/new")
            for i in range(args.runs + 1):
                form = sample_form(i, key=f"web-{i}", birth="19810101")
                a = form["applicant"]
                page.goto(f"{web}/applications/new")
                for key in ("id_number", "name", "mobile", "discharge_date"):
                    page.fill(f'[name="applicant.{key}"]', str(a[key]))
                for key in ("category", "placement", "education", "town"):
                    page.select_option(f'[name="applicant.{key}"]', a[key])
                for matter in ("training", "education", "job_push", "job_fair"):   # no decision: time the application
                    page.check(f'[name="matters.{matter}"]')
                page.select_option('[name="matters.training.course"]', form["matters"]["training"]["course"])
                page.select_option('[name="matters.education.programme"]', form["matters"]["education"]["programme"])
                page.check('[name="consent"]')
                for item in ("signed_form", "id_card", "discharge_certificate", "diploma"):   # the scans at the desk
                    page.set_input_files(f'[name="materials.{item}"]', form["materials"][item])
                t0 = time.perf_counter()
                page.click("#submit-intake")
                page.wait_for_selector("#application-no")
                t1 = time.perf_counter()
                page.wait_for_selector("#packet-link", timeout=180_000)
                t2 = time.perf_counter()
                if i:                                   # the first one warms the stack
                    page_number.append(t1 - t0)
                    page_packet.append(t2 - t0)
            decided = decisions_on_the_page(browser, web, port, args.runs)
            browser.close()

        env = dict(os.environ, PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
        cli = []
        for i in range(args.runs):
            form = sample_form(500 + i, key=f"cli-{i}", birth="19820101")
            form["matters"].pop("employer_incentive")
            path = work / f"cli-{i}.yaml"
            path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "onematter.cli", "apply", str(path), "--json"], cwd=REPO,
                                  env=env, capture_output=True, text=True)
            cli.append(time.perf_counter() - t0)
            assert done.returncode == 0, done.stdout + done.stderr

        rows = [
            ("application database", os.environ.get("ONEMATTER_DATABASE_URL", "SQLite file").split("@")[-1]),
            ("Prefect server database", "PostgreSQL" if os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL") else "SQLite"),
            (f"page: submit click → application number shown, median of {args.runs}, s",
             f"{statistics.median(page_number):.2f} (max {max(page_number):.2f})"),
            (f"page: submit click → packet button shown, median of {args.runs}, s",
             f"{statistics.median(page_packet):.2f} (max {max(page_packet):.2f})"),
            (f"page: decision click → final packet button shown, median of {args.runs}, s",
             f"{statistics.median(decided):.2f} (max {max(decided):.2f})"),
            (f"CLI: onematter apply (process start → documents printed), median of {args.runs}, s",
             f"{statistics.median(cli):.2f} (max {max(cli):.2f})"),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"{'measure':<{width}}  value\n" + "-" * (width + 16))
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
    finally:
        stack.stop(proc)


def decisions_on_the_page(browser, web: str, port: int, runs: int) -> list[float]:
    """Applications waiting for the incentive's decision (submitted through the queue); the
    supervisor claims and approves each on /decisions: the click → the final packet's button."""
    from onematter.casework.applications import submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.samples import sample_form
    from onematter.config.db import session_scope
    from onematter.services.handover import submit_to_queue
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    waiting = []
    for i in range(runs + 1):
        form = sample_form(700 + i, key=f"web-decided-{i}", birth="19800101")
        form.pop("materials")
        with session_scope() as s:
            app, _ = submit_application(s, parse_intake(form), actor="bench")
            waiting.append((app.id, app.application_no))
    for application_id, _ in waiting:
        submit_to_queue(application_id, wait=True)
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{web}/login")
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    times = []
    for i, (_, no) in enumerate(waiting):
        page.goto(f"{web}/decisions")
        section = page.locator(f'section.decision[data-no="{no}"]')
        section.locator('button[value="claim"]').click()
        page.wait_for_selector(f'section.decision[data-no="{no}"][data-assignee="李科长"]')
        section.locator('input[value="approve"]').check()
        t0 = time.perf_counter()
        section.locator("form.decide button[type=submit]").click()
        page.wait_for_url(f"**/applications/{no}")
        page.wait_for_selector("#packet-link:text-is('打印办理结果文书清单')", timeout=180_000)
        if i:                                            # the first one warms the path
            times.append(time.perf_counter() - t0)
    os.environ.pop("PREFECT_API_URL")
    return times


if __name__ == "__main__":
    main()
