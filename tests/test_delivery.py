"""统一出件 and 送达 (domain.md §1.3): each hand-over method recorded to the person (窗口领取 by
the person or an agent, EMS 邮寄, 电子送达 by an SMS link whose download is throttled), the
enterprise's notices served on their own, 已出件 only when every addressee is served, nothing
recorded twice or half; the receipt promises what was chosen and carries 办件查询's QR code; the
public progress page shows each matter's state and deadline, nothing else."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import func, select

from onematter.case.forms import FormError
from onematter.case.models import Delivery, Document, Event, Notification, Person, Throttle
from tests.test_web import PASSWORD, _login


def _complete(session, form, *, delivery=None) -> str:
    """The example application taken (with `delivery` chosen), its incentive approved, every
    document issued: its number."""
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.issuing import issue_all
    from onematter.casework.processing import process_matter, record_decision
    if delivery:
        form = {**form, "delivery": delivery}
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    issue_all(session, app.id)               # the intake packet: the receipt, as the window prints it
    session.commit()
    record_decision(session, app.application_no, matter="employer_incentive", approve=True, by="李科长",
                    comment=None, source="cli")
    issue_all(session, app.id)
    session.commit()
    assert app.status == "completed"
    return app.application_no


def _receipt(session, no: str) -> Document:
    return session.exec(select(Document).where(Document.document_no == f"{no}-02")).one()


def _last4(session) -> str:
    return session.exec(select(Person)).one().id_number[-4:]


def test_window_agent_ems_enterprise_and_nothing_twice(session, catalogue, form):
    from onematter.services.deliveries import DeliveryRefused, deliveries, handover
    no = _complete(session, form)
    state = deliveries(application_no=no)
    assert [a["addressee"] for a in state["addressees"]] == ["person", "enterprise"]
    assert state["addressees"][1]["name"] == form["matters"]["employer_incentive"]["employer_name"]
    assert state["planned"]["method"] == "window" and not state["served_all"]

    with pytest.raises(FormError) as bad:
        handover(application_no=no, method="window", collector="agent", agent_name="", agent_id_last4="12a4",
                 by="王珏", actor="cli:王珏")
    assert set(bad.value.fields) == {"handover.agent_name", "handover.agent_id_last4"}
    with pytest.raises(FormError) as bad:
        handover(application_no=no, addressee="enterprise", method="electronic", by="王珏", actor="cli:王珏")
    assert "用人单位请选择窗口领取或 EMS 邮寄" in bad.value.fields["handover.method"]
    with pytest.raises(FormError) as bad:
        handover(application_no=no, addressee="enterprise", method="ems", address="平湖市经济开发区新明路1号",
                 tracking_no="EA123456784CN", by="王珏", actor="cli:王珏")           # a wrong check digit
    assert "校验位" in bad.value.fields["handover.tracking_no"]
    session.rollback()
    assert session.exec(select(func.count()).select_from(Delivery)).one() == 0         # nothing half-done

    done = handover(application_no=no, method="window", collector="agent", agent_name="周小梅", agent_id_last4="301x",
                    by="王珏", actor="cli:王珏")
    assert done["record"]["served"] and done["record"]["details"] == {
        "collector": "agent", "handed_by": "王珏", "agent_name": "周小梅", "agent_id_last4": "301X"}
    assert "代领：周小梅（身份证后4位 301X）" in done["record"]["text"] and not done["deliveries"]["served_all"]
    with pytest.raises(DeliveryRefused, match="不能重复登记"):
        handover(application_no=no, method="ems", address="平湖市当湖街道某路8号", tracking_no="1234567890123",
                 by="王珏", actor="cli:王珏")
    done = handover(application_no=no, addressee="enterprise", method="ems", address="平湖市经济开发区新明路1号",
                    tracking_no="ea123456785cn", by="王珏", actor="cli:王珏")
    assert done["record"]["details"]["tracking_no"] == "EA123456785CN" and done["deliveries"]["served_all"]
    session.rollback()
    notes = [e.note for e in session.exec(select(Event).where(Event.entity == "delivery")).all()]
    assert len(notes) == 2 and notes[0].startswith("申请人：窗口领取，代领：周小梅") and notes[1].startswith("用人单位：EMS 邮寄")


def test_handover_before_the_result_is_refused(session, catalogue, form):
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import process_matter
    from onematter.services.deliveries import DeliveryRefused, handover
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    session.commit()
    with pytest.raises(DeliveryRefused, match="尚未办结（待审核）"):
        handover(application_no=app.application_no, method="window", collector="self", by="王珏", actor="cli:王珏")


def test_electronic_delivery_by_the_sms_link_throttled(session, catalogue, form, monkeypatch):
    from onematter.case.accounts import add_user
    from onematter.casework import public
    no = _complete(session, form, delivery={"method": "electronic"})
    sms = session.exec(select(Notification).where(Notification.kind == "completed")).one()
    receipt = _receipt(session, no)
    assert sms.payload["collect_url"].endswith(f"/collect?no={receipt.document_no}")
    (sent,) = session.exec(select(Delivery)).all()
    assert (sent.method, sent.served_at) == ("electronic", None)

    c = TestClient(__import__("onematter.web.app", fromlist=["create_app"]).create_app())
    form_page = c.get("/collect", params={"no": receipt.document_no})
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text).group(1)
    good = {"csrf_token": token, "no": receipt.document_no, "code": receipt.verification_code, "id_last4": _last4(session)}
    for left in (4, 3, 2, 1):
        wrong = c.post("/collect", data={**good, "id_last4": "0000"})
        assert wrong.status_code == 403 and f"还可尝试 {left} 次" in wrong.text
    locked = c.post("/collect", data={**good, "id_last4": "0000"})
    assert "错误次数过多" in locked.text
    still = c.post("/collect", data=good)                    # right now, but locked: refused all the same
    assert still.status_code == 403 and "错误次数过多" in still.text
    session.rollback()
    assert session.get(Throttle, f"collect:{receipt.document_no}").failures == 5
    monkeypatch.setattr(public, "WINDOW", public.dt.timedelta(seconds=0))        # the lock runs out
    session.rollback()
    row = session.get(Throttle, f"collect:{receipt.document_no}")
    row.locked_until = row.since
    session.commit()
    got = c.post("/collect", data=good)
    assert got.status_code == 200, re.findall(r'role="alert"[^>]*>([^<]+)', got.text)
    assert got.content.startswith(b"%PDF") and "attachment" in got.headers["content-disposition"]
    session.rollback()
    last = session.exec(select(Delivery).order_by(Delivery.id.desc())).first()
    assert last.method == "electronic" and last.served_at is not None
    add_user(session, username="wangjue", name="王珏", role="window", station="平湖市退役军人服务中心", password=PASSWORD)
    session.commit()
    staff = TestClient(c.app)
    assert _login(staff, "wangjue").status_code == 303
    page = staff.get(f"/applications/{no}").text
    assert 'data-addressee="person" data-served="true"' in page and "电子送达" in page and "已下载" in page


def test_the_receipt_promises_what_was_chosen_and_the_progress_page_shows_only_states(session, catalogue, form):
    no = _complete(session, form, delivery={"method": "ems", "address": "平湖市当湖街道东湖路88号3幢"})
    receipt = _receipt(session, no)
    text = "".join(p.extract_text() for p in PdfReader(receipt.path).pages).replace(" ", "").replace("\n", "")
    assert "结果送达方式EMS邮寄：平湖市当湖街道东湖路88号3幢" in text and "通过EMS寄往上述地址" in text
    assert "扫码查询" in text and "领取办理结果文书；" not in text
    from onematter.documents.render import link_qr
    assert "/track" in receipt.context["doc"]["track_url"] and str(link_qr("x", "n", "c")).startswith("<svg")

    c = TestClient(__import__("onematter.web.app", fromlist=["create_app"]).create_app())
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/track", params={"no": receipt.document_no}).text).group(1)
    refused = c.post("/track", data={"csrf_token": token, "no": receipt.document_no, "code": receipt.verification_code,
                                     "id_last4": "9999"})
    assert refused.status_code == 403 and "track-matters" not in refused.text
    shown = c.post("/track", data={"csrf_token": token, "no": receipt.document_no, "code": receipt.verification_code,
                                   "id_last4": _last4(session)})
    assert shown.status_code == 200 and no in shown.text
    person = session.exec(select(Person)).one()
    assert person.name not in shown.text and person.id_number not in shown.text and person.mobile not in shown.text
    items = re.findall(r'<span class="t">([^<]+)</span><br><strong>([^<]+)</strong>', shown.text)
    assert [t for t, _ in items][0] == "职业技能培训" and ("企业吸纳退役军人就业优惠政策申请", "审核确认") in items


def test_the_window_receipt_says_come_back_only_when_something_waits(session, catalogue, form):
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.issuing import issue_all
    from onematter.casework.processing import process_matter
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    issue_all(session, app.id)
    session.commit()
    text = "".join(p.extract_text() for p in PdfReader(_receipt(session, app.application_no).path).pages)
    text = text.replace(" ", "").replace("\n", "")
    assert "结果送达方式窗口领取" in text and f"到{app.station}领取办理结果文书" in text


def test_cli_handover_json(session, catalogue, form):
    from typer.testing import CliRunner
    from onematter.cli import app as cli
    no = _complete(session, form)
    runner = CliRunner()
    bad = runner.invoke(cli, ["handover", no, "--method", "window", "--by", "王珏", "--json"])
    assert bad.exit_code == 2 and json.loads(bad.stdout)["fields"] == {
        "handover.collector": "请选择领取人：本人领取（self）或代领（agent）"}
    ok = runner.invoke(cli, ["handover", no, "--method", "window", "--collector", "self", "--by", "王珏", "--json"])
    assert ok.exit_code == 0, ok.stdout
    out = json.loads(ok.stdout)
    assert out["record"]["method"] == "window" and out["record"]["served"] is True
    assert [a["served"] for a in out["deliveries"]["addressees"]] == [True, False]
    refused = runner.invoke(cli, ["handover", no, "--method", "window", "--collector", "self", "--by", "王珏", "--json"])
    assert refused.exit_code == 1 and json.loads(refused.stdout)["error"] == "handover_refused"
    human = runner.invoke(cli, ["handover", no, "--to", "enterprise", "--method", "window", "--collector", "agent",
                                "--agent-name", "企业经办人", "--agent-id-last4", "1234", "--by", "王珏"])
    assert human.exit_code == 0 and "已出件：全部文书已送达" in human.stdout
