"""Which documents an application is due, their contexts, and issuing them (rows + files)."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from onematter import matters
from onematter.case.models import Application, Document, MatterCase, NoticeNumber
from onematter.casework.applications import CaseFile, load_file
from onematter.casework.delivery import METHODS, announce_result, planned
from onematter.casework.dossier import (
    APPLICATION_STATUS_LABELS,
    document_path,
    due_documents,
    kind,
    packet_key,
    refusal_key,
)
from onematter.config.db import session_scope
from onematter.config.settings import get_settings, local
from onematter.documents import render as docs
from onematter.policy import load_policy


MATERIALS_RULE = "《中华人民共和国行政许可法》第三十二条"
MATERIALS_NOT_SUPPLIED = "materials_not_supplied"      # refused: 逾期未补正


def matter_view(case: MatterCase, application_no: str | None = None) -> dict:
    """A matter as documents print it. With the application number: the number of the notice its
    "no" is due (不予受理告知书 or 审核不予确认通知书), and that notice's title."""
    spec = matters.spec(case.matter)
    view = {"matter": case.matter, "title": spec.title, "status": case.status,
            "status_label": spec.label(case.status), "reason_code": case.reason_code,
            "reason": case.reason, "rule": case.rule, "deadline": case.deadline.isoformat(),
            "materials_due": case.details.get("materials_due")}
    if application_no is not None:
        key = refusal_key(case)
        view["notice_no"] = f"{application_no}-{kind(key).number:02d}" if key else ""
        view["notice_title"] = kind(key).title if key else ""
    return view


def _issued_on(file: CaseFile, doc_key: str) -> str:
    """The date a document is issued on: the application's date, or the supervisor's decision
    date for what a decision produces (a matter's notice and refusal: its decision; the
    completion notice and final packet: the latest decision) — a fact of the case, so
    re-rendering is byte-identical."""
    app, cases = file.app, file.cases
    k = kind(doc_key)
    if k.matter is not None:
        case = file.case(k.matter)
        spec = matters.spec(k.matter)
        own = next((d for d in spec.documents if d.key == doc_key), None)
        if own is not None and own.issued_on is not None and (day := own.issued_on(case)):
            return day
        by_decision = doc_key.startswith(("refusal-", "rejection-")) or any(
            d.key == doc_key and d.dated_by_decision for d in spec.documents)
        decision = file.decision(case) if by_decision and spec.decision else None
        if decision:
            return local(decision.decided_at).date().isoformat()
        if doc_key.startswith("refusal-") and case.decided_at:      # refused as the application was taken
            return local(case.decided_at).date().isoformat()
        return app.application_date.isoformat()
    if doc_key in ("completion", "packet"):
        dates = [local(d.decided_at).date() for c in cases
                 if matters.spec(c.matter).decision and (d := file.decision(c)) is not None]
        if dates:
            return max(dates).isoformat()
    return app.application_date.isoformat()


def category_label(category: str, placement: str) -> str:
    """How a notice's copy line names the veteran: 自主就业退役士兵 only when they are one."""
    if placement == "自主就业" and category in ("义务兵", "军士"):
        return "自主就业退役士兵"
    return f"{placement}{category}" if placement in ("转业", "复员") else f"退役{category}"


def build_context(session: Session, app: Application, doc_key: str, file: CaseFile | None = None) -> dict:
    """What the document's template is rendered from. `file`: the application as the unit of work
    loaded it (loaded here when not given)."""
    file = file or load_file(session, app)
    settings = get_settings()
    policy = load_policy()
    person, cases = file.person, file.cases
    a = app.form["applicant"]
    k = kind(doc_key)
    centre = policy.service_centre
    ctx: dict = {
        "doc": {"key": doc_key, "title": k.title, "number": f"{app.application_no}-{k.number:02d}",
                "issuing_body": settings.issuing_body, "service_centre": settings.service_centre,
                "policy_version": policy.version, "qr": k.qr, "official": k.official,
                "wenhao": notice_number(session, app, doc_key) if k.official else "",
                "verify_url": settings.public_base_url.rstrip("/") + "/verify",
                "verify_note": "（示例地址）" if settings.public_url_is_local else "",
                "issued_on": _issued_on(file, doc_key)},
        "centre": {"name": settings.service_centre, "address": centre.address, "phone": centre.phone,
                   "hours": centre.hours},
        "application": {"no": app.application_no, "date": app.application_date.isoformat(),
                        "deadline": app.deadline.isoformat(), "status": app.status,
                        "status_label": APPLICATION_STATUS_LABELS[app.status],
                        "staff": app.staff_name, "station": app.station, "town": app.town},
        "applicant": {"name": person.name, "id_number": person.id_number, "id_masked": person.id_masked,
                      "sex": person.sex,
                      "birth_date": person.birth_date.isoformat(), "mobile": person.mobile,
                      "discharge_date": a["discharge_date"], "category": a["category"],
                      "category_label": category_label(a["category"], a["placement"]),
                      "placement": a["placement"], "education": a["education"], "town": a["town"],
                      "intentions": {"categories": a.get("intentions", {}).get("categories") or [],
                                     "towns": a.get("intentions", {}).get("towns") or [],
                                     "min_salary": a.get("intentions", {}).get("min_salary")}},
        "matters": [matter_view(c, app.application_no) for c in cases],
        "citation": policy.citations["combined"],
    }
    for view, case in zip(ctx["matters"], cases):    # a notice is referred to by its 文号, not a system number
        key = refusal_key(case)
        view["notice_wenhao"] = notice_number(session, app, key) if key else ""
    if doc_key in ("receipt", "completion"):     # 统一出件 (domain.md §1.3): what was chosen, promised
        ctx["delivery"] = planned(app) | {"label": METHODS[planned(app)["method"]]}
    if doc_key == "receipt":             # 办件查询: the second QR code, beside the verification one
        ctx["doc"]["track_url"] = settings.public_base_url.rstrip("/") + "/track"
    if doc_key == "completion":          # 好差评 (domain.md §1.4): the rating page's QR code
        ctx["doc"]["rate_url"] = settings.public_base_url.rstrip("/") + "/rate"
        ctx["rating_days"] = policy.rating.rectify_days
    if doc_key == "completion":       # each matter's own documents, by title, for the summary table
        for view, case in zip(ctx["matters"], cases):
            spec = matters.spec(case.matter)
            view["documents"] = [d.title for d in spec.documents if d.due(case)]
    if doc_key == "materials_notice":
        waiting = [c for c in cases if c.details.get("materials_noticed")]
        ctx["waiting"] = [{"title": matters.spec(c.matter).title, "due": c.details["materials_due"],
                           "items": [{"name": m.name, "taken": m.taken} for key in c.details["materials_noticed"]
                                     if (m := policy.material(key)) is not None]} for c in waiting]
        ctx["items"] = []
        for m in policy.materials:
            users = [matters.spec(c.matter).title for c in waiting if m.key in c.details["materials_noticed"]]
            if users:     # one needed by every matter applied for is said so, not listed six times
                every = len(users) == len(cases) > 2
                ctx["items"].append({"name": m.name, "taken": m.taken, "matters": users,
                                     "for": f"本次申请的全部{len(cases)}个事项" if every else "、".join(users)})
        ctx["materials_due"] = max(c.details["materials_due"] for c in waiting)
        ctx["correction_days"] = policy.correction_days
        ctx["rule"] = policy.citations.get("materials", MATERIALS_RULE)
        ctx["accepted"] = [matters.spec(c.matter).title for c in cases
                           if not c.details.get("materials_noticed") and c.status != "refused"]
    if doc_key == "form":
        ctx["requests"] = {c.matter: c.request for c in cases}
        ctx["names"] = {c.matter: spec.names(session, c.request) for c in cases
                        if (spec := matters.spec(c.matter)).names}
        ctx["offered"] = [{"matter": s.key, "title": s.title, "partial": s.form_partial} for s in matters.all_specs()]
    if k.matter is None:
        return ctx
    case = file.case(k.matter)
    spec = matters.spec(k.matter)
    ctx["addressee"] = spec.addressee(case) if spec.addressee else None
    if doc_key.startswith(("refusal-", "rejection-")):
        ctx["case"] = matter_view(case)
        ctx["subject"] = spec.refusal_subject(case) if spec.refusal_subject else []
        ctx["advice"] = spec.advice(case.reason_code) if doc_key.startswith("refusal-") else spec.advice("*")
        ctx["overdue_materials"] = case.reason_code == MATERIALS_NOT_SUPPLIED
        if ctx["overdue_materials"]:
            ctx["advice"] = "补齐上述材料后，可到受理窗口重新申请。"
        ctx["remedy"] = policy.remedy.model_dump()
        if spec.refusal_context:
            ctx |= spec.refusal_context(session, case, matter_view(case))
    else:
        document = next(d for d in spec.documents if d.key == doc_key)
        if document.context:
            ctx |= document.context(session, case, matter_view(case))
    if spec.decision is not None:
        decision = file.decision(case)
        ctx["decision"] = None if decision is None else {
            "approved": decision.approved, "by": decision.decided_by, "comment": decision.comment or "",
            "at": local(decision.decided_at).date().isoformat()}
    return ctx


def notice_number(session: Session, app: Application, doc_key: str) -> str:
    """The notice's 文号 from the register (allocated by `allocate_notice_numbers`)."""
    row = session.exec(select(NoticeNumber).where(NoticeNumber.application_id == app.id,
                                                  NoticeNumber.doc_key == doc_key)).first()
    if row is None:
        return ""
    return load_policy().document_number.format(year=row.year, serial=row.serial)


def allocate_notice_numbers(session: Session, app: Application, file: CaseFile | None = None) -> None:
    """A 文号 for every notice the application is due that has none yet: the next serial of the
    issue year. Two processes taking the same serial: the unique (year, serial) refuses the second,
    which takes the next one."""
    file = file or load_file(session, app)
    have = set(session.exec(select(NoticeNumber.doc_key).where(NoticeNumber.application_id == app.id)).all())
    have |= set(session.exec(select(Document.doc_key).where(Document.application_id == app.id)).all())
    for key in due_documents(app, file.cases):
        if not kind(key).official or key in have:
            continue
        year = int(_issued_on(file, key)[:4])
        for attempt in range(50):
            last = session.exec(select(NoticeNumber.serial).where(NoticeNumber.year == year)
                                .order_by(NoticeNumber.serial.desc())).first() or 0
            try:
                with session.begin_nested():
                    session.add(NoticeNumber(year=year, serial=last + 1, application_id=app.id, doc_key=key))
                    session.flush()
                break
            except IntegrityError:
                if session.exec(select(NoticeNumber).where(NoticeNumber.application_id == app.id,
                                                           NoticeNumber.doc_key == key)).first():
                    break                       # another process numbered this very notice
        else:
            raise RuntimeError(f"文号分配失败：{app.application_no} {key}")


def packet_context(session: Session, app: Application, doc_key: str, parts: list[Document],
                   file: CaseFile | None = None) -> dict:
    ctx = build_context(session, app, doc_key, file)
    ctx["contents"] = [{"number": d.document_no, "title": _named(d), "pages": d.pages,
                        "verification_code": d.verification_code} for d in parts]
    return ctx


def _named(d: Document) -> str:
    """A document's title in the packet's list: a 告知书/通知书 that any matter may have (不予受理告知书,
    审核不予确认通知书) names its matter."""
    k = kind(d.doc_key)
    if k.matter and d.doc_key.startswith(("refusal-", "rejection-")):
        return f"{d.title}（{matters.spec(k.matter).title}）"
    return d.title


# ------------------------------------------------------------------ issuing
#
# Three phases, so the slow one holds no lock: read (what is due, each context), render (no
# database: WeasyPrint, files written atomically), record (rows, short). On SQLite a unit of work
# holds the write lock from its start: rendering inside it made every other clerk wait.


@dataclass
class _Due:
    key: str
    title: str
    template: str
    context: dict
    path: Path


def _existing(session: Session, app: Application, doc_key: str) -> Document | None:
    return session.exec(select(Document).where(Document.application_id == app.id,
                                               Document.doc_key == doc_key)).first()


def _plan(session: Session, app: Application, doc_key: str, existing: Document | None, file: CaseFile) -> _Due | None:
    """What issuing one document needs, or None when it is issued and its file is there."""
    if existing and Path(existing.path).is_file():
        return None
    # a lost file is re-rendered from what was issued, so it comes back byte-identical; a context
    # stored before the document set changed (policy 2026.11-3 added contacts, 文号, remedies)
    # no longer fits the templates and is built afresh
    stored = existing.context if existing and existing.context else None
    context = stored if stored and "centre" in stored else build_context(session, app, doc_key, file)
    return _Due(doc_key, kind(doc_key).title, kind(doc_key).template, context, document_path(app, doc_key))


def _issued(session: Session, app: Application) -> dict[str, Document]:
    return {d.doc_key: d for d in session.exec(select(Document).where(Document.application_id == app.id)).all()}


def _record(session: Session, app: Application, due: _Due, rendered: docs.Rendered) -> Document:
    """Insert or update the document's row; a row another process recorded meanwhile is updated
    with the same values (rendering is deterministic), never duplicated."""
    for attempt in range(2):
        row = _existing(session, app, due.key) or Document(
            application_id=app.id, doc_key=due.key, kind=due.key.split("-")[0], title=due.title,
            document_no=due.context["doc"]["number"], template=due.template, context_sha256="",
            verification_code="", pdf_sha256="", content_sha256="", path="", pages=0, size_bytes=0)
        row.template = due.template
        row.context_sha256, row.verification_code = rendered.context_sha256, rendered.verification_code
        row.context = due.context
        row.content_sha256, row.sealed = rendered.content_sha256, rendered.sealed
        row.pdf_sha256, row.path, row.pages, row.size_bytes = (rendered.pdf_sha256, str(due.path), rendered.pages,
                                                               len(rendered.pdf))
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _issue(application_id: uuid.UUID, *, read, write) -> list[Document]:
    """The application is loaded once (its file) and passed down through the phases; only the
    documents' rows are read again, as other processes may record them meanwhile."""
    with read() as session:
        file = load_file(session, application_id)
        app = file.app
        due = due_documents(app, file.cases)
        issued = _issued(session, app)
        needs_numbers = any(kind(k).official and k not in issued for k in due)
    if needs_numbers:
        with write() as session:
            allocate_notice_numbers(session, app, file)
    with read() as session:
        plans = [p for k in due if (p := _plan(session, app, k, issued.get(k), file))]
    rendered = {p.key: docs.render(p.template, p.context, p.path, sealed=True) for p in plans}
    with write() as session:
        for p in plans:
            _record(session, app, p, rendered[p.key])
    with read() as session:
        key = packet_key(app)
        issued = _issued(session, app)
        packet = _plan(session, app, key, issued.get(key), file) if key else None
        if packet is not None:
            parts = [issued[k] for k in due]
            packet.context = packet_context(session, app, key, parts, file)
    if packet is not None:
        cover = docs.render(packet.template, packet.context)
        # by the kind's template as it stands (a row issued before a template moved names its old place)
        bodies = [rendered.get(row.doc_key) or docs.render(kind(row.doc_key).template, row.context) for row in parts]
        combined = docs.combine(cover, bodies, packet.path, sealed=True, title=packet.title)
        with write() as session:
            _record(session, app, packet, combined)
            if key == "packet":                  # the result: tell the applicant how it reaches them
                announce_result(session, session.get(Application, app.id))
    with read() as session:
        return session.exec(select(Document).where(Document.application_id == application_id)).all()


def issue_all(session: Session, application_id: uuid.UUID) -> list[Document]:
    """Every document the application is due, then the packet, in the caller's session (no
    commit). Idempotent."""
    same = lambda: contextlib.nullcontext(session)  # noqa: E731
    return _issue(application_id, read=same, write=same)


def issue_all_unlocked(application_id: uuid.UUID) -> list[Document]:
    """The same, each phase in its own unit of work: rendering holds no database lock."""
    return _issue(application_id, read=lambda: session_scope(readonly=True), write=session_scope)
