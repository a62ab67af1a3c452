"""The served stack, for real: `onematter serve` starts a Prefect server on a free loopback port
and serves every deployment; an application goes through the deployment, the supervisor's form is
answered through the same API the UI uses, and nothing personal is left in Prefect."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import select

from onematter.documents import seal
from onematter.case.models import Decision, Document, MatterCase
from onematter.runtime.serve import free_port, load_deployments
from tests.conftest import REPO, TODAY

ID_NUMBER, MOBILE, NAME = "330482199203151217", "13905731234", "陆建军"
WEB_ID, WEB_MOBILE, WEB_NAME = "330482198808083152", "13857300808", "韩卫东"
PASSWORD = "staff-pass-1"
AUTH = "admin:s3cret"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def start_serve(environ: dict, port: int, docs_port: int, *, until: tuple[str, ...] = ("Ctrl-C", "审核表单："),
                ) -> tuple[subprocess.Popen, list[str]]:
    """`onematter serve` with one worker, read until it has printed each of `until` (ready; the
    decision forms checked); its output keeps being collected (a thread) so it never blocks."""
    import threading
    proc = subprocess.Popen([sys.executable, "-m", "onematter.cli", "serve", "--port", str(port),
                             "--docs-port", str(docs_port), "--workers", "1"], cwd=REPO, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        output.append(line)
        if all(any(u in seen for seen in output) for u in until) or proc.poll() is not None:
            break
    assert proc.poll() is None, "".join(output)
    threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True).start()
    return proc, output


@pytest.fixture
def stack(db, catalogue, env, tmp_path):
    port, docs_port = free_port(), free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environ |= {"PREFECT_HOME": str(tmp_path / "prefect-server"), "ONEMATTER_DATABASE_URL": db}
    sqlite = db.startswith("sqlite")
    if sqlite:      # one of the two stacks with basic auth switched on: the server requires it of everyone
        environ["PREFECT_SERVER_API_AUTH_STRING"] = AUTH
    proc, output = start_serve(environ, port, docs_port)
    plain = f"http://127.0.0.1:{port}/api"
    api = f"http://{AUTH}@127.0.0.1:{port}/api" if sqlite else plain     # the test's own requests
    _wait(lambda: len(_post(api, "/deployments/filter", {})) == len(load_deployments()), 60)
    client_env = environ | {"PREFECT_API_URL": plain} | ({"PREFECT_API_AUTH_STRING": AUTH} if sqlite else {})
    yield {"database": "sqlite" if sqlite else "postgresql", "api": api, "plain_api": plain, "env": client_env,
           "auth": tuple(AUTH.split(":")) if sqlite else None, "home": tmp_path / "prefect-server",
           "docs_port": docs_port, "proc": proc, "output": output}
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:  # pragma: no cover
            os.killpg(proc.pid, signal.SIGKILL)


def _post(api, path, body):
    """POST like Prefect's own client does: a 503 (the SQLite-backed server answering "database is
    locked") is retried, anything else is final."""
    for _ in range(20):
        r = httpx.post(api + path, json=body, timeout=30)
        if r.status_code != 503:
            break
        time.sleep(0.5)
    assert r.status_code < 400, f"{path}: {r.status_code} {r.text[:500]}"
    return r.json()


def _wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out")


def _cli(stack, *args):
    done = subprocess.run([sys.executable, "-m", "onematter.cli", *map(str, args)], cwd=REPO, env=stack["env"],
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def _runs(api, name):
    return _post(api, "/flow_runs/filter", {"flow_runs": {"name": {"any_": [name]}}})


def test_served_application_decision_and_no_personal_data(stack, session):
    api = stack["api"]
    code, out, err = _cli(stack, "apply", REPO / "examples" / "application.yaml", "--json")
    assert code == 0, out + err
    view = json.loads(out)
    no = view["application_no"]
    assert view["status"] == "awaiting_decision"
    run = _runs(api, f"一件事 {no}")
    assert len(run) == 1 and run[0]["state"]["type"] == "COMPLETED"
    assert set(run[0]["tags"]) >= {"training", "education", "job_push", "job_fair", "employer_incentive", "当湖街道"}
    assert run[0]["parameters"] == {"application_id": run[0]["parameters"]["application_id"]}

    code, out, _ = _cli(stack, "apply", REPO / "examples" / "application.yaml", "--json")   # resubmitted
    assert code == 0 and json.loads(out)["application_no"] == no and len(_runs(api, f"一件事 {no}")) == 1

    # work left after the run ended (a lost file): one new attempt, and only one
    receipt = next(d for d in view["documents"] if d["kind"] == "receipt")
    original = Path(receipt["path"]).read_bytes()
    Path(receipt["path"]).unlink()
    for _ in range(2):
        code, out, err = _cli(stack, "apply", REPO / "examples" / "application.yaml", "--json")
        assert code == 0, out + err
    # the same content, byte for byte, under a new seal (documents/seal.py)
    assert seal.first_revision(Path(receipt["path"]).read_bytes()) == seal.first_revision(original)
    assert [r["state"]["type"] for r in _runs(api, f"一件事 {no}")] == ["COMPLETED", "COMPLETED"]

    if stack["database"] == "postgresql":      # a bureau's stack: the whole walk-through
        _supervision_and_staff_page(stack, session, no, view)
    else:                                      # basic auth: nobody gets in without it
        assert httpx.post(stack["plain_api"] + "/deployments/filter", json={}, timeout=10).status_code == 401

    # nothing personal anywhere in Prefect: API answers and the server's database file
    dumps = [json.dumps(_post(api, path, {}), ensure_ascii=False) for path in
             ("/flow_runs/filter", "/task_runs/filter", "/logs/filter", "/artifacts/filter", "/deployments/filter")]
    page = _post(api, "/events/filter", {"limit": 50, "filter": {"occurred": {"since": "2000-01-01T00:00:00Z"}}})
    events = list(page["events"])
    while page.get("next_page") and len(events) < 5000:
        page = httpx.get(page["next_page"], timeout=30, auth=stack["auth"]).json()
        events += page["events"]
    assert len(events) >= 20                 # the scan below covers real events
    dumps.append(json.dumps(events, ensure_ascii=False))
    blob = "\n".join(dumps)
    raw = b"".join(p.read_bytes() for p in Path(stack["home"]).rglob("*") if p.is_file())
    # nor in any log line the product wrote: serve's own output and each worker's log
    logs = "".join(stack["output"]) + "".join(p.read_text(encoding="utf-8", errors="replace") for p in
                                              (Path(os.environ["ONEMATTER_DATA_DIR"]) / "logs").glob("*.log"))
    assert "工作进程" in logs                   # the scan covers real log lines
    for secret in (ID_NUMBER, MOBILE, NAME, WEB_ID, WEB_MOBILE, WEB_NAME):
        assert secret not in blob, secret
        assert secret.encode() not in raw, secret
        assert secret not in logs, secret

    # Ctrl-C stops everything it started
    os.killpg(stack["proc"].pid, signal.SIGINT)
    stack["proc"].wait(60)
    with pytest.raises(httpx.HTTPError):
        httpx.get(api + "/health", timeout=2)


def _supervision_and_staff_page(stack, session, no: str, view: dict) -> None:
    """Artifacts, the supervisor's forms (two matters, one decided from the CLI), the staff page
    in a browser."""
    api = stack["api"]
    # artifacts: masked summary, table of matters, links served by the document endpoint
    key = f"application-{no.lower()}"
    summary = _post(api, "/artifacts/filter", {"artifacts": {"key": {"any_": [key]}}})
    assert summary and summary[0]["type"] == "markdown"
    text = summary[-1]["data"]
    assert "陆**" in text and "330482********1217" in text and "待审核" in text and "27,000" in text
    link = next(part.split("](", 1)[1].split(")", 1)[0] for part in text.split("[") if "受理回执" in part)
    assert httpx.get(link, timeout=10).status_code == 303              # documents need a staff login
    _add_user(stack, "wangjue", "王珏", "window")
    _add_user(stack, "lik", "李科长", "supervisor")
    staff = _signed_in(stack, "wangjue")
    pdf = staff.get(link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert staff.get(f"{_web(stack)}/documents/..%2F..%2Fetc/passwd").status_code == 404
    table = _post(api, "/artifacts/filter", {"artifacts": {"key": {"any_": [f"{key}-matters"]}}})
    assert table[0]["type"] == "table"

    # the supervisor's form: a run waits (Paused) for input; bad input does not decide
    form_name = f"审核 {no} 企业吸纳优惠"
    _wait(lambda: [r for r in _runs(api, form_name) if r["state"]["type"] == "PAUSED"], 90)
    decision_run = _runs(api, form_name)[0]
    assert decision_run["state"]["state_details"]["pause_key"] == "decision-1"
    _post(api, f"/flow_runs/{decision_run['id']}/resume",
          {"run_input": {"decision": "不予通过", "decided_by": "李科长", "comment": ""}})
    # the run read that input and asks again: paused on its next form, so it is past the check and
    # waiting (nothing can write a decision until it is resumed), and no task recorded one
    _wait(lambda: _runs(api, form_name)[0]["state"]["state_details"].get("pause_key") == "decision-2"
          and _runs(api, form_name)[0]["state"]["type"] == "PAUSED", 60)
    tasks = [t["name"] for t in _post(api, "/task_runs/filter", {"flow_runs": {"id": {"any_": [decision_run["id"]]}}})]
    assert any(n.startswith("读取待审核事项") for n in tasks) and not any(n.startswith("记录审核结果") for n in tasks), tasks
    session.rollback()
    assert session.exec(select(Decision)).all() == []
    accepted = _post(api, f"/flow_runs/{decision_run['id']}/resume",
                     {"run_input": {"decision": "通过", "decided_by": "李科长", "comment": "材料齐全"}})
    assert accepted["status"] == "ACCEPT", accepted
    _wait(lambda: _runs(api, form_name)[0]["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED"), 120)
    final = _runs(api, form_name)[0]["state"]
    assert final["type"] == "COMPLETED", final
    tasks = [t["name"] for t in _post(api, "/task_runs/filter", {"flow_runs": {"id": {"any_": [decision_run["id"]]}}})]
    assert any(n.startswith("记录审核结果") for n in tasks), tasks          # the filter above sees such a task
    session.rollback()
    decision = session.exec(select(Decision)).one()
    assert (decision.approved, decision.decided_by, decision.source) == (True, "李科长", "prefect-ui")
    case = session.exec(select(MatterCase).where(MatterCase.matter == "employer_incentive")).one()
    assert case.status == "approved"
    kinds = {d.doc_key for d in session.exec(select(Document)).all()}
    assert {"incentive_approval", "completion", "packet"} <= kinds
    latest = _post(api, "/artifacts/filter", {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC"})
    assert len(latest) >= 2 and "已办结" in latest[0]["data"]

    # the CLI comes second: refused with a clear message
    code, out, _ = _cli(stack, "decide", no, "--reject", "--by", "赵", "--comment", "x", "--json")
    assert code == 2 and "不能重复审核" in json.loads(out)["message"]

    # a second application with two matters a supervisor decides (employer incentive, startup loan):
    # one form each; the incentive decided from the CLI first (its waiting form is cancelled,
    # visibly), the loan through its form
    import yaml

    from tests.conftest import example_form, make_id
    second, loan = example_form(), example_form("startup-loan.yaml")
    second["idempotency_key"] = "second-person"
    second["applicant"]["id_number"] = make_id("19950505", seq="131")
    second["matters"]["startup_loan"] = loan["matters"]["startup_loan"]
    second["materials"] |= loan["materials"]
    path = Path(stack["env"]["ONEMATTER_DATA_DIR"]) / "second.yaml"
    path.write_text(yaml.safe_dump(second, allow_unicode=True), encoding="utf-8")
    code, out, err = _cli(stack, "apply", path, "--json")
    assert code == 0, out + err
    no2 = json.loads(out)["application_no"]
    incentive_form, loan_form = f"审核 {no2} 企业吸纳优惠", f"审核 {no2} 创业贷款贴息"
    _wait(lambda: [r for r in _runs(api, incentive_form) + _runs(api, loan_form)
                   if r["state"]["type"] == "PAUSED"].__len__() == 2, 90)
    code, out, err = _cli(stack, "decide", no2, "--approve", "--by", "李科长", "--json")
    assert code == 0 and json.loads(out)["status"] == "awaiting_decision", out + err   # the loan still waits
    # its documents were issued by a warm worker (our queue), not by a deployment's new process
    issued = _runs(api, f"出件 {no2}")
    assert [(r["deployment_id"], r["state"]["type"]) for r in issued] == [(None, "COMPLETED")], issued
    voided = _runs(api, incentive_form)[0]["state"]
    assert voided["type"] == "CANCELLED" and "命令行" in voided["message"]
    assert _runs(api, loan_form)[0]["state"]["type"] == "PAUSED"
    loan_run = _runs(api, loan_form)[0]
    accepted = _post(api, f"/flow_runs/{loan_run['id']}/resume",
                     {"run_input": {"decision": "通过", "decided_by": "钱科长", "comment": "银行已审核"}})
    assert accepted["status"] == "ACCEPT", accepted
    _wait(lambda: _runs(api, loan_form)[0]["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED"), 120)
    assert _runs(api, loan_form)[0]["state"]["type"] == "COMPLETED"
    code, out, err = _cli(stack, "status", no2, "--json")
    done = json.loads(out)
    loan_view = next(m for m in done["matters"] if m["matter"] == "startup_loan")
    assert done["status"] == "completed" and loan_view["status"] == "approved", out + err
    assert loan_view["details"]["decided_by"] == "钱科长" and loan_view["details"]["subsidy_total_yuan"] == 27000
    assert {"loan_approval", "incentive_approval", "completion", "packet"} <= {d["kind"] for d in done["documents"]}

    # the staff page in a real browser: a third person applies at the window, a supervisor decides
    _staff_page_in_a_browser(stack, session)


def _web(stack) -> str:
    return f"http://127.0.0.1:{stack['docs_port']}"


def _add_user(stack, username: str, name: str, role: str) -> None:
    done = subprocess.run([sys.executable, "-m", "onematter.cli", "user", "add", username, "--name", name, "--role", role,
                           "--station", "平湖市退役军人服务中心", "--password-stdin"], input=PASSWORD + "\n", cwd=REPO,
                          env=stack["env"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _signed_in(stack, username: str) -> httpx.Client:
    import re
    client = httpx.Client(base_url=_web(stack), timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    return client


def sign_in(page, url: str, username: str, password: str = PASSWORD) -> None:
    """Open `url` in the browser page, signing in on the login page it leads to."""
    page.goto(url)
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**" + urlsplit(url).path)


def _fill_form(page, id_number: str, employer_code: str) -> None:
    page.fill('[name="applicant.id_number"]', id_number)
    page.fill('[name="applicant.name"]', WEB_NAME)
    page.fill('[name="applicant.mobile"]', WEB_MOBILE)
    page.fill('[name="applicant.discharge_date"]', "2025-09-01")
    page.select_option('[name="applicant.category"]', "军士")
    page.select_option('[name="applicant.placement"]', "自主就业")
    page.select_option('[name="applicant.education"]', "高中")
    page.select_option('[name="applicant.town"]', "钟埭街道")
    page.fill('[name="applicant.intentions.categories"]', "制造")
    page.check('[name="applicant.intentions.towns"][value="钟埭街道"]')
    for matter in ("training", "job_push", "job_fair", "employer_incentive"):
        page.check(f'[name="matters.{matter}"]')
    page.select_option('[name="matters.training.course"]', "PX-DZSW-01")
    page.fill('[name="matters.employer_incentive.employer_name"]', "平湖示例汽车零部件有限公司")
    page.fill('[name="matters.employer_incentive.employer_code"]', employer_code)
    page.fill('[name="matters.employer_incentive.position"]', "装配工")
    page.fill('[name="matters.employer_incentive.contract_start"]', "2026-04-01")
    page.fill('[name="matters.employer_incentive.contract_end"]', "2029-03-31")
    page.fill('[name="matters.employer_incentive.social_insurance_start"]', "2026-04")
    page.check('[name="consent"]')


SCANS = {"signed_form": "signed-form.png", "id_card": "id-card.png", "discharge_certificate": "discharge-certificate.png",
         "labour_contract": "labour-contract.pdf", "social_insurance_record": "social-insurance-record.png"}


def _attach_materials(page, items=tuple(SCANS)) -> None:
    """The window's scans chosen in the form's file inputs (the sample scans of examples/)."""
    for item in items:
        page.set_input_files(f'[name="materials.{item}"]', str(REPO / "examples" / "materials" / SCANS[item]))


def _staff_page_in_a_browser(stack, session) -> None:
    """Log in, a field error for a bad ID number and a bad credit code with the typed values kept,
    submit, watch the matters settle, open the packet and read it back, resubmit without a second
    application, decide the incentive as a supervisor, verify a document on /verify."""
    import io

    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader
    web, api = _web(stack), stack["api"]
    assert f"工作台: {web}/" in "".join(stack["output"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        sign_in(page, f"{web}/applications/new", "wangjue")              # → the login page first
        _fill_form(page, WEB_ID[:-1] + "1", "91330482MA2B3C4D5X")         # wrong check characters
        page.click("#submit-intake")
        page.wait_for_selector('[data-error-for="applicant.id_number"]')
        shown = {e.get_attribute("data-error-for") for e in page.query_selector_all(".error[data-error-for]")}
        assert shown == {"applicant.id_number", "matters.employer_incentive.employer_code"}
        assert page.input_value('[name="applicant.name"]') == WEB_NAME
        assert page.input_value('[name="matters.employer_incentive.employer_code"]') == "91330482MA2B3C4D5X"
        assert page.is_checked('[name="matters.job_fair"]')
        page.fill('[name="applicant.id_number"]', WEB_ID)
        page.fill('[name="matters.employer_incentive.employer_code"]', "91330482MA2B3C4D5Y")
        assert page.is_visible("#reselect-notice") is False               # no file was chosen the first time
        _attach_materials(page)
        fields = page.evaluate("""() => { const out = {};
            new FormData(document.getElementById('intake-form')).forEach((v, k) => {
                if (typeof v === 'string') out[k] = v; }); return out; }""")
        page.click("#submit-intake")
        page.wait_for_selector("#application-no")
        no = page.inner_text("#application-no")
        # the matters settle without a reload, then the packet's button appears
        page.wait_for_selector("#packet-link", timeout=120_000)
        page.wait_for_function("document.getElementById('app-status').textContent === '待审核'", timeout=60_000)
        statuses = {r.get_attribute("data-matter"): r.query_selector("td.status").get_attribute("data-status")
                    for r in page.query_selector_all("#matters tbody tr")}
        assert statuses == {"training": "enrolled", "job_push": "pushed", "job_fair": "registered",
                            "employer_incentive": "pending_decision"}
        packet_url = page.evaluate("document.querySelector('#documents a').href.replace(/\\/[^/]*$/, '/29-packet-intake.pdf')")
        packet = page.request.get(packet_url)
        text = "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(packet.body())).pages)
        assert packet.ok and "受理文书清单" in text and no in text and "受理人" in text and "王珏" in text
        # a browser resubmit of the same form: the same application, no second one
        again = page.request.post(f"{web}/applications/new", form=fields, max_redirects=0)
        assert again.status == 303 and again.headers["location"] == f"/applications/{no}"
        assert len(_runs(api, f"一件事 {no}")) == 1

        # the supervisor decides on the page; the waiting Prefect form is cancelled, visibly
        form_name = f"审核 {no} 企业吸纳优惠"
        _wait(lambda: [r for r in _runs(api, form_name) if r["state"]["type"] == "PAUSED"], 90)
        boss = browser.new_context(locale="zh-CN").new_page()
        sign_in(boss, f"{web}/decisions", "lik")
        section = boss.locator(f'section.decision[data-no="{no}"]')
        section.locator('button[value="claim"]').click()                # 认领 first, then decide
        boss.wait_for_selector(f'section.decision[data-no="{no}"][data-assignee="李科长"]')
        section.locator('input[value="approve"]').check()
        section.locator("form.decide button[type=submit]").click()
        boss.wait_for_url(f"**/applications/{no}")
        boss.wait_for_function("document.getElementById('app-status').textContent === '已办结'", timeout=120_000)
        _wait(lambda: [r for r in _runs(api, f"出件 {no}") if r["state"]["type"] == "COMPLETED"], 30)
        assert all(r["deployment_id"] is None for r in _runs(api, f"出件 {no}"))      # a warm worker's run
        _wait(lambda: _runs(api, form_name)[0]["state"]["type"] == "CANCELLED", 60)
        assert "工作台" in _runs(api, form_name)[0]["state"]["message"]
        session.rollback()
        from onematter.case.models import Application, Document
        row = session.exec(select(Application).where(Application.application_no == no)).one()
        decision = session.exec(select(Decision).join(MatterCase, MatterCase.id == Decision.matter_case_id)
                                .where(MatterCase.application_id == row.id)).one()
        assert (decision.decided_by, decision.source, decision.approved) == ("李科长", "web", True)

        # anyone verifies a document on /verify, with no login; nothing personal is shown
        receipt = session.exec(select(Document).where(Document.application_id == row.id,
                                                      Document.doc_key == "receipt")).one()
        check = browser.new_context(locale="zh-CN").new_page()
        check.goto(f"{web}/verify")
        check.fill("#no", receipt.document_no)
        check.fill("#code", receipt.verification_code)
        check.click("form[method=get] button")
        check.wait_for_selector("[data-result]")
        assert check.get_attribute("[data-result]", "data-result") == "genuine"
        assert WEB_NAME not in check.content() and WEB_ID not in check.content()
        browser.close()
