"""Which documents an application is due, their contexts, and issuing them (rows + files)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Session, select

from onematter import documents as docs
from onematter import matters
from onematter.cases import matter_cases
from onematter.dossier import APPLICATION_STATUS_LABELS, document_path, due_documents, kind, packet_key
from onematter.models import Application, Decision, Document, MatterCase, Person
from onematter.policy import load_policy
from onematter.settings import get_settings, local

def matter_view(case: MatterCase) -> dict:
    spec = matters.spec(case.matter)
    return {"matter": case.matter, "title": spec.title, "status": case.status,
            "status_label": spec.label(case.status), "reason_code": case.reason_code,
            "reason": case.reason, "rule": case.rule, "deadline": case.deadline.isoformat()}


def _decision(session: Session, case: MatterCase) -> Decision | None:
    return session.exec(select(Decision).where(Decision.matter_case_id == case.id)).first()


def _issued_on(session: Session, app: Application, doc_key: str, cases: list[MatterCase]) -> str:
    """The date a document is issued on: the application's date, or the supervisor's decision
    date for what a decision produces (a matter's notice and refusal: its decision; the
    completion notice and final packet: the latest decision) — a fact of the case, so
    re-rendering is byte-identical."""
    k = kind(doc_key)
    if k.matter is not None:
        case = next(c for c in cases if c.matter == k.matter)
        spec = matters.spec(k.matter)
        by_decision = doc_key.startswith("refusal-") or any(d.key == doc_key and d.dated_by_decision
                                                             for d in spec.documents)
        decision = _decision(session, case) if by_decision and spec.decision else None
        return local(decision.decided_at).date().isoformat() if decision else app.application_date.isoformat()
    if doc_key in ("completion", "packet"):
        dates = [local(d.decided_at).date() for c in cases
                 if matters.spec(c.matter).decision and (d := _decision(session, c)) is not None]
        if dates:
            return max(dates).isoformat()
    return app.application_date.isoformat()


def build_context(session: Session, app: Application, doc_key: str) -> dict:
    settings = get_settings()
    policy = load_policy()
    person = session.get(Person, app.person_id)
    cases = matter_cases(session, app.id)
    a = app.form["applicant"]
    k = kind(doc_key)
    ctx: dict = {
        "doc": {"key": doc_key, "title": k.title, "number": f"{app.application_no}-{k.number:02d}",
                "issuing_body": settings.issuing_body, "service_centre": settings.service_centre,
                "policy_version": policy.version, "qr": k.qr,
                "issued_on": _issued_on(session, app, doc_key, cases)},
        "application": {"no": app.application_no, "date": app.application_date.isoformat(),
                        "deadline": app.deadline.isoformat(), "status": app.status,
                        "status_label": APPLICATION_STATUS_LABELS[app.status],
                        "staff": app.staff_name, "station": app.station, "town": app.town},
        "applicant": {"name": person.name, "id_number": person.id_number, "sex": person.sex,
                      "birth_date": person.birth_date.isoformat(), "mobile": person.mobile,
                      "discharge_date": a["discharge_date"], "category": a["category"],
                      "placement": a["placement"], "education": a["education"], "town": a["town"],
                      "intentions": {"categories": a.get("intentions", {}).get("categories") or [],
                                     "towns": a.get("intentions", {}).get("towns") or [],
                                     "min_salary": a.get("intentions", {}).get("min_salary")}},
        "matters": [matter_view(c) for c in cases],
        "citation": policy.citations["combined"],
    }
    if doc_key == "form":
        ctx["requests"] = {c.matter: c.request for c in cases}
        ctx["offered"] = [{"matter": s.key, "title": s.title, "partial": s.form_partial} for s in matters.all_specs()]
    if k.matter is None:
        return ctx
    case = next(c for c in cases if c.matter == k.matter)
    spec = matters.spec(k.matter)
    if doc_key.startswith("refusal-"):
        ctx["case"] = matter_view(case)
        ctx["subject"] = spec.refusal_subject(case) if spec.refusal_subject else []
        if spec.refusal_context:
            ctx |= spec.refusal_context(session, case)
    else:
        document = next(d for d in spec.documents if d.key == doc_key)
        if document.context:
            ctx |= document.context(session, case)
    if spec.decision is not None:
        decision = _decision(session, case)
        ctx["decision"] = None if decision is None else {
            "approved": decision.approved, "by": decision.decided_by, "comment": decision.comment or "",
            "at": local(decision.decided_at).strftime("%Y年%m月%d日")}
    return ctx


def packet_context(session: Session, app: Application, doc_key: str, parts: list[Document]) -> dict:
    ctx = build_context(session, app, doc_key)
    ctx["contents"] = [{"number": d.document_no, "title": d.title, "pages": d.pages,
                        "verification_code": d.verification_code} for d in parts]
    return ctx


# ------------------------------------------------------------------ issuing


def issue_document(session: Session, app: Application, doc_key: str) -> tuple[Document, docs.Rendered | None]:
    """Render and record one document unless it exists already (then it is returned as is)."""
    existing = session.exec(select(Document).where(Document.application_id == app.id,
                                                   Document.doc_key == doc_key)).first()
    if existing and Path(existing.path).is_file():
        return existing, None
    title, template = kind(doc_key).title, kind(doc_key).template
    # a lost file is re-rendered from what was issued, so it comes back byte-identical
    context = existing.context if existing and existing.context else build_context(session, app, doc_key)
    path = document_path(app, doc_key)
    rendered = docs.render(template, context, path)
    return _record(session, app, doc_key, title, template, context, rendered, path, existing), rendered


def issue_packet(session: Session, app: Application, parts: dict[str, docs.Rendered | None]) -> Document | None:
    key = packet_key(app)
    if key is None:
        return None
    existing = session.exec(select(Document).where(Document.application_id == app.id,
                                                   Document.doc_key == key)).first()
    if existing and Path(existing.path).is_file():
        return existing
    rows = [session.exec(select(Document).where(Document.application_id == app.id,
                                                Document.doc_key == k)).one() for k in parts]
    title, template = kind(key).title, kind(key).template
    context = packet_context(session, app, key, rows)
    path = document_path(app, key)
    cover = docs.render(template, context)
    rendered_parts = [r if r is not None else docs.render(row.template, row.context)
                      for r, row in zip(parts.values(), rows)]
    combined = docs.combine(cover, rendered_parts, path)
    return _record(session, app, key, title, template, context, combined, path, existing)


def _record(session, app, doc_key, title, template, context, rendered, path, existing) -> Document:
    row = existing or Document(application_id=app.id, doc_key=doc_key, kind=doc_key.split("-")[0], title=title,
                               document_no=context["doc"]["number"], template=template, context_sha256="",
                               verification_code="", pdf_sha256="", path="", pages=0, size_bytes=0)
    row.context_sha256, row.verification_code = rendered.context_sha256, rendered.verification_code
    row.context = context
    row.pdf_sha256, row.path, row.pages, row.size_bytes = (rendered.pdf_sha256, str(path), rendered.pages,
                                                           len(rendered.pdf))
    session.add(row)
    session.flush()
    return row


def issue_all(session: Session, application_id: uuid.UUID) -> list[Document]:
    """Every document the application is due, then the packet. Idempotent."""
    app = session.get(Application, application_id)
    cases = matter_cases(session, app.id)
    rendered: dict[str, docs.Rendered | None] = {}
    for key in due_documents(app, cases):
        _, rendered[key] = issue_document(session, app, key)
    issue_packet(session, app, rendered)
    return session.exec(select(Document).where(Document.application_id == app.id)).all()
