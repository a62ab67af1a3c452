"""Follow-ups that reach people (issue 10), rehearsed day by day against a real sink: a local HTTP
server that records the SMS gateway's and the staff bot's webhook posts and answers 500 to the
first attempts of some messages. Both databases."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sqlmodel import select

from onematter.case.models import Notification, OptOut, Person, StaffTask
from onematter.matters.job_push.models import Push
from onematter.config.settings import local
from tests.conftest import TODAY, make_id

DAYS = 200


class Sink:
    """Records every post; refuses (500) the first `fail_first` attempts of every 4th message."""

    def __init__(self, fail_first: int = 2):
        self.posts: list[dict] = []
        self.attempts: Counter = Counter()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("X-Idempotency-Key") or body.get("outbox_id") or body.get("title")
                sink.attempts[key] += 1
                failing = int(key.replace("-", "")[-2:], 16) % 4 == 0 if key and "-" in key else False
                ok = not (failing and sink.attempts[key] <= fail_first)
                if self.path == "/staff":          # the staff bot refuses every first attempt
                    ok = sink.attempts[key] > 1
                if ok:
                    sink.posts.append({"path": self.path, "key": key, "body": body})
                self.send_response(200 if ok else 500)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def sink(monkeypatch):
    """The SMS gateway and the staff bot (one webhook sink) and the staff mailbox (a local SMTP
    server, aiosmtpd)."""
    from aiosmtpd.controller import Controller

    from onematter.runtime.serve import free_port
    s = Sink()
    mails: list[tuple[str, str]] = []

    class Mailbox:
        async def handle_DATA(self, server, session, envelope):
            import email
            from email.header import decode_header, make_header
            message = email.message_from_bytes(envelope.content)
            mails.append((str(make_header(decode_header(message["Subject"]))), ",".join(envelope.rcpt_tos)))
            return "250 OK"
    port = free_port()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    s.mails = mails
    monkeypatch.setenv("ONEMATTER_NOTIFY_VETERAN_URLS", f"json://127.0.0.1:{s.port}/sms")
    monkeypatch.setenv("ONEMATTER_NOTIFY_STAFF_URLS",
                       f"json://127.0.0.1:{s.port}/staff mailto://127.0.0.1:{port}?from=onematter@example.invalid"
                       f"&to=staff@example.invalid&mode=insecure&login=no")
    from onematter.config.settings import get_settings
    get_settings.cache_clear()
    yield s
    smtp.stop()
    s.server.shutdown()


def _apply(session, form, n: int):
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import process_matter
    f = {**form, "idempotency_key": f"f{n}",
         "applicant": {**form["applicant"], "id_number": make_id("19900101", seq=f"{200 + n}"),
                       "mobile": f"1390573{n:04d}"},
         "matters": {"training": {"course": "PX-QCWX-01"}, "job_push": {}, "job_fair": {"fair": "ZP-01"}}}
    app, _ = submit_application(session, parse_intake(f), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    session.commit()
    return app


def test_a_rehearsal_reaches_people_once_within_the_rules(session, catalogue, form, sink):
    from onematter.casework.schedule import run_day
    from onematter.followups.outbox import enqueue
    from onematter.casework.staff_tasks import complete_task
    apps = [_apply(session, form, n) for n in range(1, 6)]
    people = [a.person_id for a in apps]
    opted_at = None
    for i in range(DAYS):
        day = TODAY + dt.timedelta(days=i)
        if i == 2:       # five messages for one person on one day: three go out, two wait for the morning
            for k in range(5):
                enqueue(session, key=f"extra:{k}", kind="job_push", person_id=people[0],
                        payload={"postings": ["GW-001"]}, not_before=dt.datetime(day.year, day.month, day.day, 10,
                                                                                 tzinfo=dt.timezone(dt.timedelta(hours=8))))
            session.commit()
        if i == 3:       # one person opts out
            session.add(OptOut(person_id=people[4], source="cli"))
            session.commit()
            opted_at = day
        if i == 5:       # new postings: the next digest carries them
            session.commit()
            from onematter.casework.catalogue import import_catalogue, parse_catalogue
            new = {"postings": [{"code": f"GW-N{k}", "employer": "平湖示例新材料有限公司", "employer_code": "91330482MA2B3C4D5Y",
                                 "title": f"新岗位{k}", "category": "制造", "town": "钟埭街道", "salary_min": 6000,
                                 "salary_max": 9000, "education_min": "初中", "headcount": 2, "veteran_preferred": True,
                                 "valid_until": (day + dt.timedelta(days=60)).isoformat()} for k in range(2)]}
            import_catalogue(session, parse_catalogue(new))
            session.commit()
        session.commit()                     # the test's own reads hold no transaction while the day runs
        counts = run_day(day)
        if i == 4:       # a day run twice writes and sends nothing twice
            again = run_day(day)
            assert all(v == 0 for k, v in again.items() if not k.startswith("delivery_")), again
        session.expire_all()
        for task in session.exec(select(StaffTask).where(StaffTask.status == "open", StaffTask.kind == "fair_outcome",
                                                         StaffTask.person_id == people[1])).all():
            complete_task(session, str(task.id), result="hired", by="王珏")
        session.commit()
        assert counts is not None

    session.expire_all()
    rows = session.exec(select(Notification)).all()
    sent = [n for n in rows if n.status == "sent"]
    # every sent message arrived exactly once, by its outbox id; nothing else arrived; the staff's
    # messages also by e-mail, once each, although their webhook refused some first attempts
    arrived = Counter(p["key"] for p in sink.posts)
    assert arrived == Counter(str(n.id) for n in sent)
    assert all(v == 1 for v in arrived.values())
    staff_sent = [n for n in sent if n.audience == "staff"]
    mailed = Counter(subject.split("]")[0].lstrip("[") for subject, _ in sink.mails)
    assert staff_sent and mailed == Counter(n.id.hex[:8] for n in staff_sent)
    assert all(n.attempts >= 2 for n in staff_sent)         # the bot's refusal retried, the mail not resent
    # some were refused first and arrived once on a retry
    retried = [n for n in sent if n.attempts > 1]
    assert retried and all(arrived[str(n.id)] == 1 for n in retried)
    # veterans: never inside quiet hours, never after opting out, at most 3 a day
    veteran = [n for n in sent if n.audience == "veteran"]
    assert veteran and all(8 <= local(n.sent_at).hour < 21 for n in veteran)
    assert not [n for n in veteran if n.person_id == people[4] and local(n.sent_at).date() >= opted_at]
    assert {n.status for n in rows if n.person_id == people[4] and local(n.created_at).date() >= opted_at} <= {"suppressed"}
    per_day = Counter((n.person_id, local(n.sent_at).date()) for n in veteran)
    assert max(per_day.values()) <= 3
    extra = sorted(n.sent_at for n in rows if n.key.startswith("extra:"))
    assert len(extra) == 5 and len({local(e).date() for e in extra}) >= 2
    # each kind once per subject: the reminders, the digests with the new postings, the bodies in Chinese
    kinds = Counter(n.kind for n in rows)
    assert kinds["fair_reminder"] == 5 and kinds["training_reminder"] == 5
    assert {n.status for n in rows if n.kind.endswith("_reminder") and n.person_id == people[4]} == {"suppressed"}
    digests = [n for n in rows if n.kind == "job_digest"]
    assert digests and all("GW-N0" in n.payload["postings"] for n in digests)
    pushes = session.exec(select(Push)).all()
    assert len({(p.person_id, p.posting_id) for p in pushes}) == len(pushes)
    assert all(n.body and "【平湖退役军人服务】" in n.body for n in veteran)
    bodies = {p["key"]: p["body"] for p in sink.posts}
    assert all(bodies[str(n.id)]["to"] for n in veteran)
    # staff tasks: one per attendee, escalated when overdue; a hire starts the visits
    tasks = session.exec(select(StaffTask)).all()
    outcome = [t for t in tasks if t.kind == "fair_outcome"]
    assert len(outcome) == 5 and len({t.key for t in tasks}) == len(tasks)
    overdue = [t for t in outcome if t.status == "open"]
    assert overdue and all(t.escalated_at for t in overdue)
    assert len([n for n in rows if n.kind == "task_overdue"]) == len([t for t in tasks if t.escalated_at])
    visits = sorted(t.due_on for t in tasks if t.kind == "visit")
    assert len(visits) == 3 and visits[0] > TODAY
    completion = [t for t in tasks if t.kind == "training_completion"]
    assert len(completion) == 5


def test_a_message_that_keeps_failing_ends_failed_and_visible(session, catalogue, monkeypatch):
    from onematter.followups.outbox import deliver_due, enqueue
    from onematter.runtime.serve import free_port
    monkeypatch.setenv("ONEMATTER_NOTIFY_STAFF_URLS", f"json://127.0.0.1:{free_port()}/staff")   # nothing listens
    from onematter.config.settings import get_settings
    get_settings.cache_clear()
    enqueue(session, key="escalate:x", kind="task_overdue", audience="staff", payload={"title": "回访", "due": "1月1日"})
    session.commit()
    at = dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone.utc)
    for minute in range(0, 60):
        deliver_due(at + dt.timedelta(minutes=minute))
    session.expire_all()
    row = session.exec(select(Notification)).one()
    assert (row.status, row.attempts) == ("failed", 5) and row.last_error


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)     # the CLI over the rehearsal tested on both above
def test_cli_rehearsal_outbox_opt_out_and_tasks(db, session, catalogue, form, sink, env):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO
    app = _apply(session, form, 1)
    id_number = session.get(Person, app.person_id).id_number
    session.commit()
    environ = {**os.environ, "ONEMATTER_DATABASE_URL": db}

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "onematter.cli", *args], capture_output=True, text=True,
                              cwd=REPO, env=environ, timeout=120)
        return done.returncode, done.stdout, done.stderr
    code, out, err = run("followups", "run", "--day", (TODAY + dt.timedelta(days=4)).isoformat(), "--json")
    assert code == 0, err
    day = json.loads(out)          # ZP-01 is on Monday (day 7): reminded on Friday 16:00
    assert day["fair_reminders"] == 1 and day["delivery_sent"] >= 1
    code, out, err = run("followups", "run", "--day", (TODAY + dt.timedelta(days=5)).isoformat(), "--days", "6", "--json")
    assert code == 0 and json.loads(out)["totals"]["fair_outcome_tasks"] == 1, out + err
    code, out, _ = run("notifications", "list", "--status", "sent", "--json")
    sent = json.loads(out)
    assert {n["kind"] for n in sent} >= {"fair_reminder", "job_push"} and all(n["status"] == "sent" for n in sent)
    assert all(n["recipient"] is None or "********" in n["recipient"] for n in sent)
    code, out, _ = run("tasks", "list", "--json")
    task = json.loads(out)[0]
    assert task["kind"] == "fair_outcome" and task["station"] == "平湖市退役军人服务中心"
    code, out, _ = run("tasks", "done", task["id"][:8], "--result", "maybe", "--by", "王珏", "--json")
    assert code == 2 and "hired" in json.loads(out)["message"]
    code, out, _ = run("tasks", "done", task["id"][:8], "--result", "hired", "--by", "王珏", "--json")
    assert code == 0 and json.loads(out)["result"]["label"] == "已录用"
    code, out, _ = run("tasks", "list", "--json")
    assert sorted(t["kind"] for t in json.loads(out)) == ["visit", "visit", "visit"]
    code, out, _ = run("notifications", "opt-out", id_number, "--json")
    assert code == 0 and json.loads(out)["opted_out"].endswith(id_number[-4:])
    session.rollback()
    assert session.exec(select(OptOut)).one().source == "cli"


def test_monthly_report_figures_equal_the_rows(session, catalogue, form, sink):
    import csv
    import io

    from pypdf import PdfReader

    from onematter import matters
    from onematter.casework.schedule import run_day
    from onematter.case.models import Application, MatterCase
    from onematter.casework.report import figures
    apps = [_apply(session, form, n) for n in range(1, 4)]
    from onematter.casework.processing import record_decision
    third = {**form, "idempotency_key": "inc", "applicant": {**form["applicant"], "id_number": make_id("19870707", seq="151"),
                                                             "town": "乍浦镇"}}
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import process_matter
    app, _ = submit_application(session, parse_intake(third), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    record_decision(session, app.application_no, approve=True, by="李科长", comment=None, source="cli")
    session.commit()
    counts = run_day(dt.date(2026, 12, 1))                 # the 1st: last month's report
    assert counts["monthly_report"] == 1
    session.expire_all()
    f = figures(session, dt.date(2026, 11, 1))
    rows = [a for a in session.exec(select(Application)).all() if a.application_date.month == 11]
    assert f["applications"] == len(rows) == 4
    expected: dict[str, Counter] = {}
    for c in session.exec(select(MatterCase)).all():
        expected.setdefault(c.matter, Counter())[matters.spec(c.matter).label(c.status)] += 1
    assert f["matters"] == {m: dict(c) for m, c in expected.items()}
    assert f["towns"] == dict(Counter(a.town for a in rows))
    done = [a for a in rows if a.status == "completed"]
    assert f["completed"] == len(done) and f["on_time"] == len([a for a in done if local(a.completed_at).date() <= a.deadline])
    assert f["placements"]["incentive_approved"] == 1 and sum(f["incentive_by_year"].values()) == 27000
    notes = [n for n in session.exec(select(Notification)).all() if local(n.created_at).month == 11]
    assert f["delivery"] == {k: len([n for n in notes if n.status == k]) for k in ("sent", "failed", "suppressed", "pending")}
    from onematter.config.settings import get_settings
    folder = get_settings().data_dir / "reports" / "2026-11"
    table = list(csv.reader(io.StringIO((folder / "月度统计-2026-11.csv").read_text(encoding="utf-8-sig"))))
    assert ["总体", "受理联办申请", "4"] in table and ["镇街道", "乍浦镇", "1"] in table
    text = "".join(p.extract_text() for p in PdfReader(folder / "月度统计-2026-11.pdf").pages).replace(" ", "")
    assert "受理联办申请" in text and "4件" in text and "27,000元" not in text and "6,750元" in text
    assert "陆建军" not in text and "330482" not in text


def test_january_reverification_stops_an_ended_contract_at_its_last_month(session, catalogue, form, sink,
                                                                         monkeypatch, tmp_path):
    from onematter.config.settings import get_settings
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.schedule import run_day
    from onematter.followups.days import first_working_day_of_january
    from onematter.casework.intake import parse_intake
    from onematter.matters.employer_incentive.models import IncentiveYear
    from onematter.casework.processing import process_matter, record_decision
    from onematter.casework.staff_tasks import TaskRefused, complete_task
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    record_decision(session, app.application_no, approve=True, by="李科长", comment=None, source="cli")
    session.commit()
    day = next(dt.date(2027, 1, d) for d in range(1, 10) if first_working_day_of_january(dt.date(2027, 1, d)))
    assert run_day(day)["reverification_tasks"] == 1
    assert run_day(day)["reverification_tasks"] == 0                 # the day again: nothing twice
    session.expire_all()
    task = session.exec(select(StaffTask).where(StaffTask.kind == "reverification")).one()
    assert "2027年度" in task.title and task.station == "平湖市退役军人服务中心"
    with pytest.raises(TaskRefused, match="--ended"):
        complete_task(session, str(task.id), result="ended", by="王珏")
    # recorded on the check day: a last month after it, or before the incentive began, is refused
    monkeypatch.setenv("ONEMATTER_TODAY", day.isoformat())
    get_settings.cache_clear()
    with pytest.raises(TaskRefused, match="晚于核验日期"):
        complete_task(session, str(task.id), result="ended", by="王珏", ended="2027-06")
    session.rollback()
    with pytest.raises(TaskRefused, match="早于享受优惠的起始月份"):
        complete_task(session, str(task.id), result="ended", by="王珏", ended="2026-03")
    session.rollback()
    complete_task(session, str(task.id), result="ended", by="王珏", ended="2026-12")
    session.commit()
    years = {y.year: (y.months, y.amount_yuan, y.status) for y in session.exec(select(IncentiveYear)).all()}
    assert years == {2026: (9, 6750, "scheduled"), 2027: (12, 9000, "stopped"), 2028: (12, 9000, "stopped"),
                     2029: (3, 2250, "stopped")}
    notice = session.exec(select(Notification).where(Notification.kind == "reverification_result")).one()
    assert notice.audience == "staff" and notice.payload["total"] == "6,750"
    from onematter.followups.outbox import render
    assert "劳动合同已解除或终止" in render(notice.kind, notice.payload)
    # the enterprise's 年度核验结果通知书: issued at once, addressed to it, the schedule as it stands,
    # dated on the check
    from pypdf import PdfReader

    from onematter.case.models import Document
    from onematter.documents.verification import verify_pdf
    doc = session.exec(select(Document).where(Document.doc_key == "incentive_stopped")).one()
    text = "".join(p.extract_text() for p in PdfReader(doc.path).pages).replace("\n", "")
    checked = f"{day.year}年{day.month}月{day.day}日"
    for phrase in ("年度核验结果通知书", "平湖示例汽车零部件有限公司：", "2027年度核验", "最后在岗月份为2026年12月",
                   "6,750元", "陆仟柒佰伍拾元整", "原核定合计 27,000元", "2027年、2028年、2029年度不再享受",
                   "申报补缴", "行政复议", f"核验人：王珏　核验日期：{checked}", "抄送：陆建军",
                   f"平湖市退役军人事务局{checked}"):
        assert phrase in text.replace(" ", "").replace("　", "") or phrase in text, phrase
    assert "2027年" not in text.split("调整后合计")[0].split("如下：")[-1]       # stopped years left out of the table

    # the monthly report of the month it was confirmed: the limits as confirmed (27,000) and, apart,
    # as they stand after the check (6,750), the stopped years left out; the month in Chinese
    from onematter.casework.report import render_report
    report = render_report(session, dt.date(2026, 11, 1), tmp_path)
    f = report["figures"]
    assert sum(f["incentive_by_year"].values()) == 27000 and f["incentive_adjusted_by_year"] == {2026: 6750}
    text = "".join(p.extract_text() for p in PdfReader(report["pdf"]).pages).replace(" ", "")
    assert "月度统计2026年11月" in text and "2026-11" not in text
    assert "本月确认的扣减限额：2026年度6,750元" in text and "本月确认的扣减限额：2027年度9,000元" in text
    assert "其中经年度核验调整后：2026年度6,750元" in text and "其中经年度核验调整后：2027" not in text
    assert doc.document_no.endswith("-21") and verify_pdf(session, Path(doc.path))["result"] == "genuine"


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)     # the loop is the same on both
def test_a_long_delivery_batch_reports_its_progress(db, session):
    """More than 100 messages due: progress goes up in steps of about 5 % and ends at 100 (the
    delivery flow shows it as a progress artifact); a short batch reports nothing."""
    from onematter.followups.outbox import deliver_due, enqueue
    for i in range(130):
        enqueue(session, key=f"staff-{i}", kind="escalation", audience="staff", payload={"count": i})
    session.commit()
    seen: list[float] = []
    at = dt.datetime(2026, 11, 30, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    counts = deliver_due(at, progress=seen.append)
    assert sum(counts.values()) == 130
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == 100.0 and 15 <= len(seen) <= 25
    quiet: list[float] = []
    enqueue(session, key="staff-one-more", kind="escalation", audience="staff", payload={"count": 1})
    session.commit()
    deliver_due(at, progress=quiet.append)
    assert quiet == []
