"""统一出件 and 送达 (domain.md §1.3): how an application's result documents reached each person
they are addressed to — the applicant, and the enterprise for the incentive's notices.

The method is chosen at the window (the intake's `delivery`: 窗口领取, EMS 邮寄 or 电子送达) and
the receipt promises exactly that. When the result is issued, an applicant who chose 电子送达 gets
an SMS link (the 办结 message); the download, after the receipt's 核验码 and the last 4 of the ID
(`public.py`), serves it. A window collection or a posting is recorded by staff (`handover`).
Records are append-only; an addressee's newest record is its state. An application is 已出件 only
when every addressee is served."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from sqlmodel import Session, select

from onematter import matters
from onematter.case.forms import FormError
from onematter.case.lifecycle import APPLICATION_STATUS_LABELS
from onematter.case.models import Application, Delivery, Document, Event
from onematter.casework.applications import matter_cases
from onematter.casework.dossier import kind
from onematter.config.settings import get_settings, local, now, today
from onematter.followups.outbox import enqueue

ADDRESSEES = {"person": "申请人", "enterprise": "用人单位"}
METHODS = {"window": "窗口领取", "ems": "EMS 邮寄", "electronic": "电子送达"}
COLLECTORS = {"self": "本人领取", "agent": "代领"}


class DeliveryRefused(Exception):
    """A hand-over that cannot be recorded now (nothing issued yet, already served …)."""


def planned(app: Application) -> dict:
    """The method chosen at the window: {method, address}; 窗口领取 when none was chosen."""
    chosen = (app.form or {}).get("delivery") or {}
    return {"method": chosen.get("method") or "window", "address": chosen.get("address") or ""}


def addressees(session: Session, app: Application) -> dict[str, str]:
    """Who the issued result documents are addressed to: {addressee: name} — the applicant, and
    an enterprise when a notice addressed to it has been issued (the incentive's)."""
    found = {"person": app.form["applicant"]["name"]}
    issued = {d.doc_key for d in session.exec(select(Document).where(Document.application_id == app.id)).all()}
    for case in matter_cases(session, app.id):
        spec = matters.spec(case.matter)
        if spec.addressee is None:
            continue
        if any(kind(k).matter == case.matter and kind(k).official for k in issued):
            found["enterprise"] = spec.addressee(case)["name"]
    return found


def latest(session: Session, app: Application) -> dict[str, Delivery]:
    """Each addressee's newest record."""
    rows = session.exec(select(Delivery).where(Delivery.application_id == app.id)
                        .order_by(Delivery.at, Delivery.id)).all()
    return {r.addressee: r for r in rows}


def served_all(session: Session, app: Application) -> bool:
    """已出件: the result is issued and every addressee is served."""
    if app.status != "completed":
        return False
    last = latest(session, app)
    return all(a in last and last[a].served_at is not None for a in addressees(session, app))


def describe(row: Delivery) -> str:
    """One record as the case page and the CLI say it."""
    d = row.details
    at = f"{local(row.served_at or row.at):%Y-%m-%d %H:%M}"
    if row.method == "window":
        who = "本人领取" if d.get("collector") == "self" else f"代领：{d.get('agent_name')}（身份证后4位 {d.get('agent_id_last4')}）"
        return f"窗口领取，{who}，{at}，经办人 {d.get('handed_by')}"
    if row.method == "ems":
        return f"EMS 邮寄，{d.get('posted_on')} 寄出，单号 {d.get('tracking_no')}，寄往 {d.get('address')}"
    if row.served_at:
        return f"电子送达，{at} 已下载"
    return f"电子送达，{local(row.at):%Y-%m-%d %H:%M} 已发送下载短信，尚未下载"


def state(session: Session, app: Application) -> dict:
    """The case page's 统一出件: each addressee with its newest record, and whether all are served."""
    last = latest(session, app)
    rows = [{"addressee": a, "label": ADDRESSEES[a], "name": name,
             "method": METHODS[last[a].method] if a in last else "",
             "record": describe(last[a]) if a in last else "",
             "served": a in last and last[a].served_at is not None}
            for a, name in addressees(session, app).items()]
    return {"planned": planned(app) | {"label": METHODS[planned(app)["method"]]}, "addressees": rows,
            "issued": app.status == "completed", "served_all": served_all(session, app)}


EMS_S10 = re.compile(r"^[A-Z]{2}\d{9}[A-Z]{2}$")


def _s10_ok(number: str) -> bool:
    """UPU S10 (an international-format EMS number): its check digit."""
    digits = [int(c) for c in number[2:10]]
    total = sum(d * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7)))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return check == int(number[10])


def record(session: Session, app: Application, *, addressee: str, method: str, by: str, actor: str,
           collector: str | None = None, agent_name: str | None = None, agent_id_last4: str | None = None,
           address: str | None = None, tracking_no: str | None = None, posted_on: str | None = None) -> Delivery:
    """Record how the documents reached `addressee`. FormError names the field (`handover.…`);
    DeliveryRefused when nothing can be handed over now. 电子送达 is the SMS link (served when
    downloaded): the caller enqueues the message (`announce`)."""
    if app.status != "completed" or not session.exec(select(Document).where(
            Document.application_id == app.id, Document.doc_key == "packet")).first():
        raise DeliveryRefused(f"联办申请 {app.application_no} 尚未办结（{APPLICATION_STATUS_LABELS.get(app.status, app.status)}），"
                              f"办理结果文书出具后才能登记送达")
    names = addressees(session, app)
    errors: dict[str, str] = {}
    if addressee not in ADDRESSEES:
        errors["handover.to"] = f"送达对象应为 {'、'.join(ADDRESSEES)} 之一"
    elif addressee not in names:
        errors["handover.to"] = "本件没有发给用人单位的文书，无需向用人单位送达"
    if method not in METHODS:
        errors["handover.method"] = "送达方式应为 window（窗口领取）、ems（EMS 邮寄）或 electronic（电子送达）"
    if errors:
        raise FormError(errors)
    last = latest(session, app).get(addressee)
    if last is not None and last.served_at is not None:
        raise DeliveryRefused(f"{ADDRESSEES[addressee]}的文书已于 {local(last.served_at):%Y-%m-%d %H:%M} 送达"
                              f"（{describe(last)}），不能重复登记")
    details: dict = {}
    served: dt.datetime | None = now()
    if method == "window":
        if collector not in COLLECTORS:
            errors["handover.collector"] = "请选择领取人：本人领取（self）或代领（agent）"
        details = {"collector": collector, "handed_by": by}
        if collector == "agent":
            name = (agent_name or "").strip()
            last4 = (agent_id_last4 or "").strip().upper()
            if not name or len(name) > 30:
                errors["handover.agent_name"] = "代领时请填写代领人姓名（30字以内）"
            if not re.fullmatch(r"\d{3}[\dX]", last4):
                errors["handover.agent_id_last4"] = "代领人身份证后4位应为4位数字（最后一位可为 X）"
            details |= {"agent_name": name, "agent_id_last4": last4}
    elif method == "ems":
        place = (address or (planned(app)["address"] if addressee == "person" else "") or "").strip()
        number = (tracking_no or "").strip().upper().replace(" ", "")
        if len(place) < 6 or len(place) > 120:
            errors["handover.address"] = "请填写完整的邮寄地址（6至120字）"
        if not (re.fullmatch(r"\d{13}", number) or (EMS_S10.fullmatch(number) and _s10_ok(number))):
            errors["handover.tracking_no"] = "EMS 单号应为13位数字，或如 EA123456785CN 的13位国际格式（校验位正确）"
        try:
            posted = dt.date.fromisoformat(posted_on) if posted_on else today()
            if posted > today() or posted < app.application_date:
                errors["handover.posted_on"] = "寄出日期应在受理之日至今天之间"
        except ValueError:
            errors["handover.posted_on"] = "寄出日期应为日期，如 2026-12-01"
            posted = today()
        details = {"address": place, "tracking_no": number, "posted_on": posted.isoformat(), "posted_by": by}
    else:
        if addressee != "person":
            errors["handover.method"] = "电子送达只用于申请人本人（短信下载链接）；用人单位请选择窗口领取或 EMS 邮寄"
        details = {"sent_by": by}
        served = None
    if errors:
        raise FormError(errors)
    row = Delivery(application_id=app.id, addressee=addressee, method=method, details=details, recorded_by=by,
                   served_at=served)
    session.add(row)
    session.flush()
    session.add(Event(application_id=app.id, entity="delivery", entity_id=app.id, from_status=None,
                      to_status="served" if served else "sent", actor=actor, note=f"{ADDRESSEES[addressee]}：{describe(row)}"))
    return row


def downloaded(session: Session, app: Application) -> Delivery | None:
    """The applicant downloaded the packet through 电子送达: served (the first download only)."""
    last = latest(session, app).get("person")
    if last is not None and last.served_at is not None:
        return None
    row = Delivery(application_id=app.id, addressee="person", method="electronic", details={"downloaded": True},
                   recorded_by="系统（电子送达）", served_at=now())
    session.add(row)
    session.flush()
    session.add(Event(application_id=app.id, entity="delivery", entity_id=app.id, to_status="served",
                      actor="public:collect", note=f"申请人：{describe(row)}"))
    return row


def links(session: Session, app: Application) -> dict:
    """The veteran's links: the 电子送达 download and 办件查询 (by the receipt's number)."""
    base = get_settings().public_base_url.rstrip("/")
    receipt = session.exec(select(Document).where(Document.application_id == app.id,
                                                  Document.doc_key == "receipt")).first()
    number = receipt.document_no if receipt else ""
    return {"collect_url": f"{base}/collect?no={number}", "track_url": f"{base}/track?no={number}"}


def announce_result(session: Session, app: Application) -> None:
    """The result is issued: the 办结 SMS (once), saying how the documents will reach the
    applicant; 电子送达 is recorded as sent with its link. Idempotent (the outbox's key)."""
    chosen = planned(app)
    payload = {"application_no": app.application_no, "method": chosen["method"], "station": app.station}
    if chosen["method"] == "electronic":
        payload["collect_url"] = links(session, app)["collect_url"]
        if "person" not in latest(session, app):
            session.add(Delivery(application_id=app.id, addressee="person", method="electronic",
                                 details={"sent_by": "系统（办结短信）", "link": payload["collect_url"]},
                                 recorded_by="系统（办结短信）"))
            session.add(Event(application_id=app.id, entity="delivery", entity_id=app.id, to_status="sent",
                              actor="flow:issue", note="申请人：电子送达，已发送下载短信"))
    completion = session.exec(select(Document).where(Document.application_id == app.id,
                                                     Document.doc_key == "completion")).first()
    if completion is not None:                 # 好差评: the rating page, bound by the notice's number and code
        payload["rate_url"] = (f"{get_settings().public_base_url.rstrip('/')}/rate?"
                               f"{urlencode({'no': completion.document_no, 'code': completion.verification_code})}")
    enqueue(session, key=f"completed:{app.id}", kind="completed", payload=payload, person_id=app.person_id,
            application_id=app.id)
