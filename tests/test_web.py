"""The staff page without a browser (FastAPI's TestClient, both databases): accounts, sign-in and
its throttle, CSRF, the form's field errors with everything typed kept, one application per
idempotency key, roles, finding cases, the public /verify. The page in a real browser against a
real `onematter serve` is tests/test_served.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from onematter.case.models import Application, Event, StaffUser
from tests.conftest import REPO, make_id
from onematter.config.settings import local, now

PASSWORD = "window-pass-1"


@pytest.fixture
def users(session):
    from onematter.case.accounts import add_user
    add_user(session, username="wangjue", name="王珏", role="window", station="平湖市退役军人服务中心", password=PASSWORD)
    add_user(session, username="lik", name="李科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
    session.commit()


@pytest.fixture
def client(users, catalogue, monkeypatch):
    """A client of the staff page. Handing an application to Prefect is recorded, not run: the
    served test runs it for real."""
    from onematter.services import handover
    from onematter.web.app import create_app
    handed: list[str] = []
    monkeypatch.setattr(handover, "hand_over", lambda **kw: handed.append(kw["application_no"]))
    c = TestClient(create_app())
    c.handed = handed
    return c


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(c: TestClient, username: str = "wangjue", password: str = PASSWORD):
    token = _csrf(c.get("/login").text)
    return c.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"},
                  follow_redirects=False)


def _form(c: TestClient, **over) -> dict:
    page = c.get("/applications/new").text
    data = {"csrf_token": _csrf(page),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1),
            "applicant.name": "陆建军", "applicant.id_number": "330482199203151217", "applicant.mobile": "13905731234",
            "applicant.discharge_date": "2025-09-01", "applicant.category": "军士", "applicant.placement": "自主就业",
            "applicant.education": "高中", "applicant.town": "当湖街道",
            "applicant.intentions.categories": "制造、安保", "applicant.intentions.towns": ["当湖街道", "钟埭街道"],
            "matters.training": "on", "matters.training.course": "PX-QCWX-01",
            "matters.employer_incentive": "on",
            "matters.employer_incentive.employer_name": "平湖示例汽车零部件有限公司",
            "matters.employer_incentive.employer_code": "91330482MA2B3C4D5Y",
            "matters.employer_incentive.position": "汽车装配技术员",
            "matters.employer_incentive.contract_start": "2026-04-01",
            "matters.employer_incentive.contract_end": "2029-03-31",
            "matters.employer_incentive.social_insurance_start": "2026-04",
            "consent": "true"}
    return data | over


def test_pages_need_login_except_verify_and_login(client):
    for path in ("/", "/applications/new", "/applications", "/decisions", "/applications/X-1",
                 "/documents/PHYJS-20261130-0001/02-receipt.pdf"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert client.get("/verify").status_code == 200 and client.get("/login").status_code == 200
    assert client.get("/health").json() == {"status": "ok"}


def test_wrong_passwords_slow_the_guesser_and_never_lock_the_clerk_out(client, session, monkeypatch):
    from onematter.case import throttle
    clock = [dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))]
    monkeypatch.setattr(throttle, "now", lambda: clock[0])
    for _ in range(3):                                   # three wrong passwords are free
        r = _login(client, password="wrong")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text and "再试" not in r.text
    r = _login(client, password="wrong")                 # then each waits longer: 2 s, 4 s …
    assert r.status_code == 401 and "请 2 秒后再试" in r.text
    r = _login(client)                                   # the right password during the wait: not heard
    assert r.status_code == 401 and "登录尝试过于频繁，请 2 秒后再试" in r.text
    unknown = [_login(client, "nosuch", "wrong").text for _ in range(5)]     # no hint which names exist
    assert ["请 2 秒后再试" in t for t in unknown] == [False, False, False, True, True]
    clock[0] += dt.timedelta(seconds=3)
    assert "请 4 秒后再试" in _login(client, password="wrong").text
    clock[0] += dt.timedelta(seconds=5)
    assert _login(client).status_code == 303             # waited: in, and this account's counts cleared
    client.post("/logout", data={"csrf_token": _csrf(client.get("/decisions").text)})
    assert "再试" not in _login(client, password="wrong").text

    # an attacker hammering the supervisor from elsewhere: slowed at once, the supervisor's own
    # desk unaffected; from many addresses the account waits, but never more than 30 s
    desk = TestClient(client.app, client=("10.0.0.5", 50000))
    attacker = TestClient(client.app, client=("203.0.113.9", 50000))
    answers = [_login(attacker, "lik", "guess").text for _ in range(30)]
    assert sum("请 2 秒后再试" in a for a in answers) == 27
    assert _login(desk, "lik").status_code == 303
    waits = []
    for n in range(40):                                  # each waiting out the delay it was given
        clock[0] += dt.timedelta(seconds=31)
        text = _login(TestClient(client.app, client=(f"198.51.100.{n}", 50000)), "lik", "guess").text
        waits.append(int(m.group(1)) if (m := re.search(r"请 (\d+) 秒后再试", text)) else 0)
    assert waits[:10] == [0] * 10 and waits[10:15] == [2, 4, 8, 16, 30] and max(waits) == 30
    r = _login(TestClient(client.app, client=("10.0.0.5", 50000)), "lik")
    assert r.status_code == 401 and "请 30 秒后再试" in r.text
    clock[0] += dt.timedelta(seconds=31)
    assert _login(TestClient(client.app, client=("10.0.0.5", 50000)), "lik").status_code == 303


def test_disabled_accounts_refused_and_the_session_cookie(client, session):
    from onematter.case.accounts import disable_user
    disable_user(session, "lik")
    session.commit()
    fresh = TestClient(client.app)
    cookie = fresh.get("/login").headers["set-cookie"].lower()        # the session: signed, HttpOnly, SameSite
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=1800" in cookie
    r = _login(fresh, "lik")
    assert r.status_code == 401 and "已停用" in r.text


def test_a_form_without_its_csrf_token_is_refused_with_everything_kept(client, session):
    _login(client)
    data = _form(client, csrf_token="forged")
    r = client.post("/applications/new", data=data)
    assert r.status_code == 400 and "安全校验未通过" in r.text
    assert 'value="陆建军"' in r.text and 'value="91330482MA2B3C4D5Y"' in r.text
    assert session.exec(select(Application)).all() == []
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400


def test_field_errors_next_to_their_fields_with_the_values_kept(client, session):
    _login(client)
    data = _form(client, **{"applicant.id_number": "330482199203151218",
                            "matters.employer_incentive.employer_code": "91330482MA2B3C4D5X"})
    r = client.post("/applications/new", data=data)
    assert r.status_code == 422
    errors = dict(re.findall(r'data-error-for="([^"]+)">([^<]+)<', r.text))
    assert set(errors) == {"applicant.id_number", "matters.employer_incentive.employer_code"}
    assert "校验位" in errors["applicant.id_number"] and "校验位" in errors["matters.employer_incentive.employer_code"]
    assert 'value="330482199203151218"' in r.text and 'value="91330482MA2B3C4D5X"' in r.text
    assert 'value="当湖街道" checked' in r.text and 'value="PX-QCWX-01" selected' in r.text
    # the same messages as `onematter apply` (one validation)
    from onematter.case.forms import FormError
    from onematter.web.routes.applications import form_to_intake
    from onematter.casework.intake import parse_intake
    user = session.exec(select(StaffUser).where(StaffUser.username == "wangjue")).one()
    with pytest.raises(FormError) as exc:
        parse_intake(form_to_intake(_Multi(data), user)[0])
    assert exc.value.fields == errors
    assert session.exec(select(Application)).all() == []


@pytest.mark.parametrize("field, typed", [
    ("applicant.intentions.min_salary", "²"), ("applicant.intentions.min_salary", "٣٠٠٠"),
    ("applicant.intentions.min_salary", "1" * 60), ("matters.startup_loan.amount_yuan", "2026-12"),
    ("matters.startup_loan.term_months", "2026-12"), ("matters.startup_loan.amount_yuan", "９９"),
    ("matters.startup_loan.term_months", "1" * 30), ("matters.startup_loan.term_months", "36")])
def test_numbers_only_in_ascii_digits_and_in_bounds(client, session, field, typed):
    """Hostile forms that gave a 500, or were taken (Arabic-Indic digits as a salary): refused
    next to the field, as the CLI's strict model refuses them, and nothing stored."""
    _login(client)
    loan = {"matters.startup_loan": "on", "matters.startup_loan.business_name": "平湖示例汽修店",
            "matters.startup_loan.business_type": "个体工商户", "matters.startup_loan.amount_yuan": "300000",
            "matters.startup_loan.bank": "YH-NS", "matters.startup_loan.term_months": "36",
            "matters.startup_loan.loan_start": "2026-12"}
    r = client.post("/applications/new", data=_form(client, **(loan | {field: typed})))
    if typed == "36":                                    # the control: the same form, a number as typed, is taken
        assert "data-error-for" not in r.text and len(session.exec(select(Application)).all()) == 1
        return
    assert r.status_code == 422, r.status_code
    errors = dict(re.findall(r'data-error-for="([^"]+)">([^<]+)<', r.text))
    assert field in errors, errors
    assert session.exec(select(Application)).all() == []


class _Multi(dict):
    def getlist(self, key):
        value = self[key]
        return value if isinstance(value, list) else [value]


def test_one_application_per_form_the_clerk_is_the_actor(client, session):
    _login(client)
    data = _form(client)
    first = client.post("/applications/new", data=data, follow_redirects=False)
    again = client.post("/applications/new", data=data, follow_redirects=False)   # double click, resubmit
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    apps = session.exec(select(Application)).all()
    assert len(apps) == 1 and apps[0].staff_name == "王珏" and apps[0].station == "平湖市退役军人服务中心"
    event = session.exec(select(Event).where(Event.application_id == apps[0].id)).first()
    assert event.actor == "web:wangjue"
    assert client.handed == [apps[0].application_no] * 2
    page = client.get(first.headers["location"]).text
    assert apps[0].application_no in page and "王珏（工作台）" in page and "330482********1217" in page


def test_roles_and_finding_cases(client, session):
    _login(client)
    client.post("/applications/new", data=_form(client), follow_redirects=False)
    other = _form(client, **{"applicant.name": "沈志强", "applicant.id_number": make_id("19910520", seq="313"),
                             "applicant.town": "乍浦镇"})
    client.post("/applications/new", data=other, follow_redirects=False)
    assert client.get("/decisions").status_code == 403
    rows = lambda html: re.findall(r'href="/applications/(PHYJS-[\d-]+)"', html)  # noqa: E731
    assert len(rows(client.get("/applications").text)) == 2
    assert len(rows(client.get("/applications", params={"q": "1217"}).text)) == 1
    assert len(rows(client.get("/applications", params={"q": "沈志"}).text)) == 1
    found = rows(client.get("/applications", params={"q": "330482199203151217"}).text)       # a card reader's
    assert len(found) == 1 and found == rows(client.get("/applications", params={"q": "1217"}).text)
    assert rows(client.get("/applications", params={"q": "３３０４８２１９９２０３１５１２１７"}).text) == found
    mobile = _form(client)["applicant.mobile"]
    assert len(rows(client.get("/applications", params={"q": mobile}).text)) == 2       # both typed the same number
    assert rows(client.get("/applications", params={"q": "13900000000"}).text) == []
    assert len(rows(client.get("/applications", params={"town": "乍浦镇"}).text)) == 1
    assert len(rows(client.get("/applications", params={"matter": "education"}).text)) == 0
    assert len(rows(client.get("/applications", params={"status": "received"}).text)) == 2
    assert len(rows(client.get("/applications", params={"overdue": "1"}).text)) == 0
    no = rows(client.get("/applications", params={"q": "1217"}).text)[0]
    assert rows(client.get("/applications", params={"q": no}).text) == [no]
    lookup = client.post("/persons/lookup", json={"id_number": "330482199203151217"},
                         headers={"x-csrf-token": _csrf(client.get("/applications/new").text)}).json()
    assert lookup["found"] and lookup["applicant"]["name"] == "陆建军" and lookup["applicant"]["town"] == "当湖街道"


def test_verify_page_public_genuine_altered_unknown_without_personal_data(client, session, form):
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.issuing import issue_all
    from onematter.case.models import Document
    from onematter.casework.processing import process_matter
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for c in matter_cases(session, app.id):
        process_matter(session, c.id)
    settle_application(session, app, actor="t")
    issue_all(session, app.id)
    session.commit()
    receipt = session.exec(select(Document).where(Document.doc_key == "receipt")).one()
    anonymous = TestClient(client.app)
    r = anonymous.get("/verify", params={"no": receipt.document_no, "code": receipt.verification_code})
    assert 'data-result="genuine"' in r.text and "受理回执" in r.text and "陆建军" not in r.text
    r = anonymous.get("/verify", params={"no": receipt.document_no, "code": "AAAAA-BBBBB"})
    assert 'data-result="altered"' in r.text
    assert 'data-result="unknown"' in anonymous.get("/verify", params={"no": "X-1", "code": "y"}).text
    with open(receipt.path, "rb") as fh:
        r = anonymous.post("/verify", files={"file": ("receipt.pdf", fh, "application/pdf")})
    assert 'data-result="genuine"' in r.text and "陆建军" not in r.text
    assert "电子签章有效，签章人 平湖市退役军人事务局电子印章（示例），签章时间" in r.text     # the seal's signer and time
    changed = bytearray(Path(receipt.path).read_bytes())
    changed[changed.index(b"WeasyPrint") + 9] = ord("T")                           # one byte of the sealed content
    r = anonymous.post("/verify", files={"file": ("receipt.pdf", bytes(changed), "application/pdf")})
    assert 'data-result="altered"' in r.text and "电子签章验证失败" in r.text and "陆建军" not in r.text
    r = anonymous.post("/verify", files={"file": ("x.pdf", b"%PDF-1.4 not ours", "application/pdf")})
    assert 'data-result="unknown"' in r.text
    assert anonymous.get(f"/documents/{app.application_no}/02-receipt.pdf", follow_redirects=False).status_code == 303
    _login(client)
    pdf = client.get(f"/documents/{app.application_no}/02-receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)     # a CLI over the same functions tested on both above
def test_user_commands(env, db):
    def run(*args, stdin=""):
        p = subprocess.run([sys.executable, "-m", "onematter.cli", "user", *args], input=stdin, capture_output=True,
                           text=True, cwd=REPO, env=_env(env, db))
        return p.returncode, p.stdout
    code, out = run("add", "zhaoyi", "--name", "赵一", "--role", "window", "--station", "乍浦镇退役军人服务站",
                    "--password-stdin", "--json", stdin="long-enough-1\n")
    assert code == 0 and json.loads(out) == {"username": "zhaoyi", "name": "赵一", "role": "window", "station": "乍浦镇退役军人服务站"}
    code, out = run("add", "zhaoyi", "--name", "赵一", "--role", "window", "--station", "乍浦镇退役军人服务站",
                    "--password-stdin", "--json", stdin="long-enough-1\n")
    assert code == 2 and json.loads(out)["fields"]["username"] == "用户名 zhaoyi 已存在"
    code, out = run("add", "qianer", "--name", "钱二", "--role", "boss", "--station", "乍浦镇退役军人服务站", "--password-stdin", "--json",
                    stdin="long-enough-1\n")
    assert code == 2 and "role" in json.loads(out)["fields"]
    code, out = run("add", "qianer", "--name", "钱二", "--role", "window", "--station", "x", "--password-stdin",
                    "--json", stdin="long-enough-1\n")
    assert code == 2 and json.loads(out)["fields"]["station"].startswith("不认识的网点“x”；可选：平湖市退役军人服务中心")
    code, out = run("add", "qianer", "--name", "钱二", "--role", "window", "--station", "乍浦镇退役军人服务站",
                    "--password-stdin", "--json", stdin="short\n")
    assert code == 2 and "密码至少" in json.loads(out)["fields"]["password"]
    code, out = run("disable", "zhaoyi", "--json")
    assert code == 0 and json.loads(out) == {"username": "zhaoyi", "active": False}
    code, out = run("list", "--json")
    assert json.loads(out) == [{"username": "zhaoyi", "name": "赵一", "role": "window", "station": "乍浦镇退役军人服务站",
                                "active": False}]


def _env(env, db) -> dict:
    import os
    return {**os.environ, "ONEMATTER_DATABASE_URL": db}


def test_prefect_down_the_application_is_kept_and_the_page_says_so(users, catalogue, session, monkeypatch):
    """Served, with the Prefect server down (nothing listens at PREFECT_API_URL): the page queues
    the application for the workers; a worker's attempt fails, so the page says at once that the
    processing has not finished and why, and offers to continue; the application is kept, queued
    again after a pause."""
    from onematter.case import workqueue
    from onematter.case.models import WorkItem
    from onematter.runtime.serve import free_port
    from onematter.web.app import create_app
    from onematter.runtime.worker import process
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    monkeypatch.setenv("PREFECT_CLIENT_MAX_RETRIES", "0")
    c = TestClient(create_app())
    _login(c)
    r = c.post("/applications/new", data=_form(c), follow_redirects=False)
    assert r.status_code == 303
    no = r.headers["location"].rsplit("/", 1)[1]
    assert session.exec(select(WorkItem)).one().state == "queued"
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings
    claim = workqueue.claim("test-worker", 30)
    with temporary_settings(updates={PREFECT_API_URL: os.environ["PREFECT_API_URL"], PREFECT_CLIENT_MAX_RETRIES: 0}):
        assert process(claim, "test-worker", 30) == "queued"    # to be tried again, after a pause
    session.rollback()
    item = session.exec(select(WorkItem)).one()
    assert item.attempts == 1 and item.last_error and local(item.available_at) > now()
    assert workqueue.claim("test-worker", 30) is None          # not before its time
    progress = c.get(f"/applications/{no}/progress").json()
    assert progress["stuck"] and progress["status"] == "received"
    page = c.get(f"/applications/{no}").text
    assert "办理尚未完成" in page and "继续办理" in page and "原因：" in page
    assert session.exec(select(Application)).one().application_no == no


def test_web_server_errors_are_logged_masked():
    import logging

    from onematter.config.privacy import MaskingFilter
    try:
        raise ValueError("Key (id_number)=(330482199203151217) already exists; mobile 13905731234")
    except ValueError:
        import sys as _sys
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application %s",
                                   ("/applications/new",), _sys.exc_info())
    assert MaskingFilter().filter(record)
    text = record.getMessage()
    assert "330482********1217" in text and "139****1234" in text and "/applications/new" in text
    assert "199203151217" not in text and "13905731234" not in text and record.exc_info is None


def test_tasks_on_the_staff_page(client, session):
    import datetime as dt

    from onematter.case.models import StaffTask
    session.add(StaffTask(key="fair_outcome:t1", kind="fair_outcome", title="登记招聘会求职结果：示例", station="平湖市退役军人服务中心",
                          due_on=dt.date(2026, 12, 3), subject={}))
    session.commit()
    _login(client)
    page = client.get("/tasks").text
    assert "登记招聘会求职结果：示例" in page and 'value="hired"' in page
    task_id = re.search(r'data-task="([^"]+)"', page).group(1)
    r = client.post(f"/tasks/{task_id}", data={"csrf_token": _csrf(page), "result": "hired"}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    task = session.exec(select(StaffTask).where(StaffTask.key == "fair_outcome:t1")).one()
    assert (task.status, task.done_by, task.result["result"]) == ("done", "王珏", "hired")
    assert len(session.exec(select(StaffTask).where(StaffTask.kind == "visit")).all()) == 3
    again = client.post(f"/tasks/{task_id}", data={"csrf_token": _csrf(page), "result": "hired"})
    assert again.status_code == 409 and "不能重复登记" in again.text


def test_a_td_reply_through_the_sms_webhook_opts_the_veteran_out(client, session, monkeypatch):
    """The gateway forwards replies with its token; 退订 (TD) opts out every applicant with that
    number, idempotently; other replies and bad calls change nothing; a later message is suppressed."""
    import datetime as dt

    from onematter.case.models import OptOut, Person
    from onematter.followups.outbox import deliver_due, enqueue
    from onematter.config.settings import get_settings
    _login(client)
    assert client.post("/applications/new", data=_form(client), follow_redirects=False).status_code == 303
    reply = {"mobile": "13905731234", "text": " td "}
    assert client.post("/sms/inbound", json=reply).status_code == 404              # not configured: not there
    monkeypatch.setenv("ONEMATTER_SMS_INBOUND_TOKEN", "gateway-token")
    get_settings.cache_clear()
    assert client.post("/sms/inbound", json=reply).status_code == 403
    assert client.post("/sms/inbound", json=reply, headers={"X-Onematter-Token": "nope"}).status_code == 403
    ok = {"X-Onematter-Token": "gateway-token"}
    assert client.post("/sms/inbound", json={"mobile": "1390573", "text": "TD"}, headers=ok).status_code == 422
    assert client.post("/sms/inbound", json={"mobile": "13905731234", "text": "好的，谢谢"}, headers=ok).json() == \
        {"result": "ignored"}
    session.rollback()
    assert session.exec(select(OptOut)).all() == []
    assert client.post("/sms/inbound", json=reply, headers=ok).json() == {"result": "opted_out", "people": 1}
    assert client.post("/sms/inbound", data={"mobile": "+8613905731234", "text": "退订"}, headers=ok).json() == \
        {"result": "opted_out", "people": 1}                                      # the form encoding, again
    session.rollback()
    person = session.exec(select(Person)).one()
    assert [(o.person_id, o.source) for o in session.exec(select(OptOut)).all()] == [(person.id, "sms")]
    enqueue(session, key="after-td", kind="job_digest", payload={"count": 3}, person_id=person.id)
    session.commit()
    at = dt.datetime(2026, 11, 30, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert deliver_due(at)["suppressed"] == 1


def test_dates_as_typed_and_an_error_summary_that_links_to_its_fields(client, session):
    _login(client)
    bad = _form(client, **{"applicant.discharge_date": "2025年13月1日", "applicant.mobile": "12345"})
    page = client.post("/applications/new", data=bad, follow_redirects=False)
    assert page.status_code == 422, page.status_code
    html = page.text
    assert 'id="error-summary"' in html and 'href="#applicant.discharge_date"' in html and 'href="#applicant.mobile"' in html
    assert 'value="2025年13月1日"' in html                                     # what was typed, kept
    assert "2024年9月1日" in html or "2025年9月1日" in html
    assert session.exec(select(Application)).all() == []
    good = _form(client, **{"applicant.discharge_date": "20250901",
                            "matters.employer_incentive.contract_start": "2026年4月1日"})
    done = client.post("/applications/new", data=good, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/applications/PHYJS"), done.headers
    session.rollback()
    stored = session.exec(select(Application)).one().form
    assert stored["applicant"]["discharge_date"] == "2025-09-01"
    assert stored["matters"]["employer_incentive"]["contract_start"] == "2026-04-01"


def test_precheck_before_submitting_and_a_refusal_only_when_confirmed(client, session):
    _login(client)
    officer = _form(client, **{"applicant.category": "军官"})
    token = _csrf(client.get("/applications/new").text)
    checked = client.post("/applications/precheck", data=officer, headers={"x-csrf-token": token}).json()
    assert checked["errors"] == {}
    m = checked["matters"]
    assert m["employer_incentive"]["outcome"] == "refused" and "军官" in m["employer_incentive"]["text"]
    assert m["employer_incentive"]["text"].startswith("将不予受理：")
    assert m["training"]["outcome"] == "eligible"
    assert "劳动合同" in m["employer_incentive"]["materials"] and "居民身份证" in m["training"]["materials"]
    assert client.post("/applications/precheck", data=officer).status_code == 400        # no CSRF header
    session.rollback()
    assert session.exec(select(Application)).all() == []                                 # a precheck stores nothing
    incomplete = client.post("/applications/precheck", data=_form(client, **{"applicant.mobile": ""}),
                             headers={"x-csrf-token": token}).json()
    assert "applicant.mobile" in incomplete["errors"] and incomplete["matters"] == {}
    # submitted as it is: the form comes back with the warning, nothing stored
    page = client.post("/applications/new", data=officer, follow_redirects=False)
    assert page.status_code == 409 and 'id="refusal-warning"' in page.text
    assert 'data-refusal="employer_incentive"' in page.text and 'name="confirm_refusals"' in page.text
    session.rollback()
    assert session.exec(select(Application)).all() == []
    # confirmed: taken, the incentive refused as the rules say
    done = client.post("/applications/new", data=officer | {"confirm_refusals": "1"}, follow_redirects=False)
    assert done.status_code == 303
    session.rollback()
    assert len(session.exec(select(Application)).all()) == 1


def test_the_signed_form_first_and_scans_checked_at_the_window(client, session):
    """待签字: the form as typed, printed before submitting, stores nothing; a scan that is not
    one is refused naming its material, nothing stored; good scans are stored with the form."""
    import io

    from pypdf import PdfReader

    from onematter.case.models import MaterialFile
    from tests.conftest import REPO
    _login(client)
    data = _form(client)
    shown = client.post("/applications/preview", data=data)
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(shown.content)).pages).replace(" ", "")
    assert "待签字" in text and "陆建军" in text and "提交后生成" in text and "核验码" not in text
    assert session.exec(select(Application)).all() == []
    assert client.post("/applications/preview", data=data | {"applicant.mobile": "123"}).status_code == 422

    bad = {"materials.id_card": ("id.png", b"not an image", "image/png")}
    refused = client.post("/applications/new", data=data, files=bad)
    assert refused.status_code == 422 and 'data-error-for="materials.id_card"' in refused.text
    assert "不是 PDF、JPEG 或 PNG" in refused.text and 'id="reselect-notice"' in refused.text
    assert session.exec(select(Application)).all() == [] and session.exec(select(MaterialFile)).all() == []
    scans = REPO / "examples" / "materials"
    good = [("materials.id_card", ("id-card.png", (scans / "id-card.png").read_bytes(), "image/png")),
            ("materials.labour_contract", ("c.pdf", (scans / "labour-contract.pdf").read_bytes(), "application/pdf"))]
    done = client.post("/applications/new", data=data, files=good, follow_redirects=False)
    assert done.status_code == 303
    session.rollback()
    app_row = session.exec(select(Application)).one()
    assert app_row.materials_tracked is True
    assert {f.item for f in session.exec(select(MaterialFile)).all()} == {"id_card", "labour_contract"}
    # 补正 on the case page: a bad file named, nothing added
    no = app_row.application_no
    token = _csrf(client.get(f"/applications/{no}").text)
    page = client.post(f"/applications/{no}/materials", data={"csrf_token": token, "item": "signed_form"},
                       files={"materials.file": ("s.pdf", b"%PDF-1.4 cut", "application/pdf")})
    assert page.status_code == 422 and 'data-error-for="materials.signed_form"' in page.text
    added = client.post(f"/applications/{no}/materials", data={"csrf_token": token, "item": "signed_form"},
                        files={"materials.file": ("s.png", (scans / "signed-form.png").read_bytes(), "image/png")},
                        follow_redirects=False)
    assert added.status_code == 303
    session.rollback()
    assert {f.item for f in session.exec(select(MaterialFile)).all()} == {"id_card", "labour_contract", "signed_form"}
