"""Regenerate the Prefect UI screenshots used in the README.

Prerequisites (see the README / this file's header):

    export ONEMATTER_DATA_DIR=/tmp/shots && rm -rf /tmp/shots && mkdir -p /tmp/shots
    .venv/bin/onematter catalog sample /tmp/shots/c.yaml && .venv/bin/onematter catalog import /tmp/shots/c.yaml
    PREFECT_HOME=/tmp/shots/prefect-server setsid .venv/bin/onematter serve --port 4610 --docs-port 4611 \
        > /tmp/shots/serve.log 2>&1 &
    # wait until serve.log contains "Ctrl-C", then:
    PREFECT_API_URL=http://127.0.0.1:4610/api .venv/bin/onematter apply examples/application.yaml --json

    .venv/bin/pip install playwright          # no `playwright install`: we use the system Chromium
    .venv/bin/python docs/screenshots.py

Environment:
    ONEMATTER_UI_URL   Prefect server / UI base URL (default http://127.0.0.1:4610); the API is <url>/api
    CHROMIUM           browser executable (default /usr/bin/chromium)
    SCREENSHOT_DIR     output directory (default: the directory of this script, i.e. docs/)
    REVIEW_RUN_PREFIX  which paused decision run to show (default: the latest "审核 …" run)
    APPLICATION_RUN_PREFIX  which application run to show (default: the latest "一件事 …" run)

Writes run-page.png, artifact-summary.png and decision-form.png. The decision form is opened
but never submitted.

Stopping the stack afterwards: `kill -INT` or `kill -TERM <serve pid>` (serve handles both, also when
started in the background), which stops the Prefect server and the paused runs with it.
"""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

UI = os.environ.get("ONEMATTER_UI_URL", "http://127.0.0.1:4610").rstrip("/")
API = UI + "/api"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUT = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parent))
WIDTH = 1400
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def api_post(path: str, body: dict) -> list[dict]:
    req = urllib.request.Request(API + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def latest_run(prefix: str) -> dict | None:
    runs = [r for r in api_post("/flow_runs/filter", {"sort": "START_TIME_DESC", "limit": 200})
            if r["name"].startswith(prefix)]
    runs.sort(key=lambda r: r.get("created") or "", reverse=True)
    return runs[0] if runs else None


def wait_for_paused_review(timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = latest_run(os.environ.get("REVIEW_RUN_PREFIX", "审核 "))
        if run and run["state_type"] == "PAUSED":
            return run
        if time.monotonic() > deadline:
            sys.exit(f"no paused '审核 …' run after {timeout:.0f}s (last seen: "
                     f"{run and (run['name'], run['state_name'])})")
        time.sleep(2)


def settle(page: Page, extra_ms: int = 2500) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(extra_ms)


def open_page(page: Page, path: str) -> None:
    page.goto(UI + path, wait_until="networkidle")
    settle(page)


def shot(page: Page, name: str) -> None:
    path = OUT / name
    page.screenshot(path=str(path))
    print(f"{path}  {path.stat().st_size // 1024} KB")


def main() -> None:
    application = latest_run(os.environ.get("APPLICATION_RUN_PREFIX", "一件事 "))
    if application is None:
        sys.exit("no '一件事 …' flow run found — run `onematter apply examples/application.yaml` first")
    review = wait_for_paused_review()
    artifacts = api_post("/artifacts/filter", {"artifacts": {
        "flow_run_id": {"any_": [application["id"]]}, "type": {"any_": ["markdown"]}}})
    if not artifacts:
        sys.exit(f"no markdown artifact for flow run {application['id']}")
    summary = artifacts[0]

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # 1. Run page of the application flow run, Artifacts tab open.
            page = browser.new_page(viewport={"width": WIDTH, "height": 1150})
            open_page(page, f"/runs/flow-run/{application['id']}")
            tab = page.get_by_role("tab", name="Artifacts")
            if tab.count() == 0:
                tab = page.get_by_text("Artifacts", exact=True)
            if tab.count():
                tab.first.click()
                settle(page, 1500)
            shot(page, "run-page.png")
            page.close()

            # 2. The markdown summary artifact (masked applicant, matters, schedule, document links).
            #    The UI scrolls inside .app-router-view, so size the viewport to its content.
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            open_page(page, f"/artifacts/artifact/{summary['id']}")
            height = page.evaluate(
                "() => (document.querySelector('.app-router-view') || document.body).scrollHeight")
            page.set_viewport_size({"width": WIDTH, "height": max(1000, min(int(height) + 10, 1900))})
            settle(page, 1000)
            shot(page, "artifact-summary.png")
            page.close()

            # 3. The paused review run with its Resume (input) form open — not submitted.
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            open_page(page, f"/runs/flow-run/{review['id']}")
            page.get_by_role("button", name="Resume").first.click()
            page.get_by_role("button", name="Submit").wait_for(state="visible", timeout=15000)
            settle(page, 1500)
            shot(page, "decision-form.png")
            page.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
