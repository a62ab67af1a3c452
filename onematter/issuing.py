"""Which documents an application is due, their contexts, and issuing them (rows + files)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Session, select

from onematter import documents as docs
from onematter.cases import matter_cases
from onematter.intake import MATTER_TITLES
from onematter.models import (
    Application, Course, Decision, Document, Fair, IncentiveClaim, IncentiveYear, MatterCase, Person,
    Posting, Programme,
)
from onematter.policy import load_policy
from onematter.settings import get_settings, local

# doc_key → (number suffix, title, template)
KINDS: dict[str, tuple[int, str, str]] = {
    "form": (1, "一件事联办申请表", "form/document.html"),
    "receipt": (2, "受理回执", "receipt/document.html"),
    "training": (3, "职业技能培训报名确认书", "training/document.html"),
    "education": (4, "学历提升教育报名登记表", "education/document.html"),
    "job_push": (5, "就业岗位推送清单", "job_push/document.html"),
    "job_fair": (6, "招聘会入场凭证", "job_fair/document.html"),
    "incentive_form": (7, "企业吸纳退役军人就业优惠政策申请表", "incentive_form/document.html"),
    "incentive_approval": (8, "审核确认通知书", "incentive_approval/document.html"),
    "refusal-training": (11, "不予受理告知书", "refusal/document.html"),
    "refusal-education": (12, "不予受理告知书", "refusal/document.html"),
    "refusal-job_fair": (14, "不予受理告知书", "refusal/document.html"),
    "refusal-employer_incentive": (15, "不予受理告知书", "refusal/document.html"),
    "completion": (20, "办结通知书", "completion/document.html"),
    "packet-intake": (29, "材料包（受理阶段）", "packet/cover.html"),
    "packet": (30, "材料包", "packet/cover.html"),
}
QR_KINDS = {"receipt", "job_fair"}

STATUS_LABELS = {
    "pending": "办理中", "enrolled": "报名成功", "waitlisted": "候补", "refused": "不予受理",
    "registered": "报名成功", "pushed": "已推送岗位", "no_match": "暂无匹配岗位（已开通每日推送）",
    "pending_decision": "待审核", "approved": "审核通过", "rejected": "审核不予通过",
}
APPLICATION_STATUS_LABELS = {
    "received": "已受理", "processing": "办理中", "awaiting_decision": "待审核", "completed": "已办结",
}


def due_documents(app: Application, cases: list[MatterCase]) -> list[str]:
    keys = ["form", "receipt"]
    by = {c.matter: c for c in cases}
    for matter, case in by.items():
        if case.status == "refused" or case.status == "rejected":
            keys.append(f"refusal-{matter}")
    if (c := by.get("training")) and c.status in ("enrolled", "waitlisted"):
        keys.append("training")
    if (c := by.get("education")) and c.status == "registered":
        keys.append("education")
    if (c := by.get("job_push")) and c.status in ("pushed", "no_match"):
        keys.append("job_push")
    if (c := by.get("job_fair")) and c.status in ("registered", "waitlisted"):
        keys.append("job_fair")
    if (c := by.get("employer_incentive")) and c.status in ("pending_decision", "approved", "rejected"):
        keys.append("incentive_form")
        if c.status == "approved":
            keys.append("incentive_approval")
    if app.status == "completed":
        keys.append("completion")
    return sorted(keys, key=lambda k: KINDS[k][0])


def packet_key(app: Application) -> str | None:
    if app.status == "completed":
        return "packet"
    if app.status == "awaiting_decision":
        return "packet-intake"
    return None


def document_path(app: Application, doc_key: str) -> Path:
    number = KINDS[doc_key][0]
    return get_settings().documents_dir / app.application_no / f"{number:02d}-{doc_key}.pdf"


# ------------------------------------------------------------------ contexts


def _matter_view(case: MatterCase) -> dict:
    return {"matter": case.matter, "title": MATTER_TITLES[case.matter], "status": case.status,
            "status_label": STATUS_LABELS.get(case.status, case.status), "reason_code": case.reason_code,
            "reason": case.reason, "rule": case.rule, "deadline": case.deadline.isoformat()}


def _issued_on(session: Session, app: Application, doc_key: str, cases: list[MatterCase]) -> str:
    """The date a document is issued on: the application's date, or the supervisor's decision
    date for what the decision produces — a fact of the case, so re-rendering is byte-identical."""
    decision_stage = doc_key in ("incentive_approval", "refusal-employer_incentive", "completion", "packet")
    incentive = next((c for c in cases if c.matter == "employer_incentive"), None)
    if decision_stage and incentive is not None:
        decision = session.exec(select(Decision).where(Decision.matter_case_id == incentive.id)).first()
        if decision is not None:
            return local(decision.decided_at).date().isoformat()
    return app.application_date.isoformat()


def build_context(session: Session, app: Application, doc_key: str) -> dict:
    settings = get_settings()
    policy = load_policy()
    person = session.get(Person, app.person_id)
    cases = matter_cases(session, app.id)
    form = app.form
    a = form["applicant"]
    number, title, _ = KINDS[doc_key]
    ctx: dict = {
        "doc": {"key": doc_key, "title": title, "number": f"{app.application_no}-{number:02d}",
                "issuing_body": settings.issuing_body, "service_centre": settings.service_centre,
                "policy_version": policy.version, "qr": doc_key in QR_KINDS,
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
        "matters": [_matter_view(c) for c in cases],
        "citation": policy.citations["combined"],
    }
    by = {c.matter: c for c in cases}
    if doc_key == "form":
        ctx["requests"] = {c.matter: c.request for c in cases}
    if doc_key == "training":
        c = by["training"]
        course = session.exec(select(Course).where(Course.code == c.details["course"])).one()
        ctx["course"] = {"code": course.code, "trade": course.trade, "mode": course.mode, "base": course.base,
                         "start": course.start.isoformat(), "end": course.end.isoformat(), "hours": course.hours}
        ctx["case"] = _matter_view(c) | {"waitlist_position": c.details.get("waitlist_position")}
        ctx["rule"] = policy.citations["training"]
    if doc_key == "education":
        c = by["education"]
        p = session.exec(select(Programme).where(Programme.code == c.details["programme"])).one()
        ctx["programme"] = {"code": p.code, "level": p.level, "school": p.school, "major": p.major,
                            "intake": p.intake, "opens": p.opens.isoformat(), "closes": p.closes.isoformat()}
        ctx["rule"] = policy.citations["education"]
        ctx["case"] = _matter_view(c)
    if doc_key == "job_push":
        c = by["job_push"]
        postings = {p.code: p for p in session.exec(select(Posting).where(
            Posting.code.in_(c.details.get("postings") or []))).all()}
        ctx["postings"] = [
            {"rank": i, "code": p.code, "employer": p.employer, "title": p.title, "category": p.category,
             "town": p.town, "salary": f"{p.salary_min:,}–{p.salary_max:,}", "education_min": p.education_min,
             "veteran_preferred": p.veteran_preferred, "valid_until": p.valid_until.isoformat()}
            for i, p in enumerate((postings[code] for code in c.details.get("postings") or []), 1)]
        ctx["case"] = _matter_view(c)
        ctx["push_limit"] = policy.job_push_limit
        ctx["rule"] = policy.citations["job_push"]
    if doc_key == "job_fair":
        c = by["job_fair"]
        f = session.exec(select(Fair).where(Fair.code == c.details["fair"])).one()
        ctx["fair"] = {"code": f.code, "name": f.name, "starts_at": local(f.starts_at).strftime("%Y年%m月%d日 %H:%M"),
                       "venue": f.venue or "", "online_url": f.online_url or "", "employers": list(f.employers)}
        ctx["rule"] = policy.citations["job_fair"]
        ctx["registration"] = {"code": c.details["registration_code"], "mode": c.details.get("mode") or "线下",
                               "status": c.status, "waitlist_position": c.details.get("waitlist_position")}
    if doc_key in ("incentive_form", "incentive_approval", "refusal-employer_incentive"):
        c = by["employer_incentive"]
        claim = session.exec(select(IncentiveClaim).where(IncentiveClaim.matter_case_id == c.id)).first()
        ctx["incentive"] = {"request": c.request, "case": _matter_view(c),
                            "citation": policy.incentive.citation, "months": policy.incentive.months,
                            "period": [policy.incentive.period_start.isoformat(), policy.incentive.period_end.isoformat()]}
        if claim:
            years = session.exec(select(IncentiveYear).where(IncentiveYear.claim_id == claim.id)
                                 .order_by(IncentiveYear.year)).all()
            ctx["incentive"] |= {"rate_yuan": claim.rate_yuan, "window_start": claim.window_start.isoformat(),
                                 "total_yuan": claim.total_yuan,
                                 "schedule": [{"year": y.year, "months": y.months, "amount_yuan": y.amount_yuan}
                                              for y in years]}
        decision = session.exec(select(Decision).where(Decision.matter_case_id == c.id)).first()
        ctx["decision"] = None if decision is None else {
            "approved": decision.approved, "by": decision.decided_by, "comment": decision.comment or "",
            "at": local(decision.decided_at).strftime("%Y年%m月%d日")}
    if doc_key.startswith("refusal-"):
        c = by[doc_key.removeprefix("refusal-")]
        ctx["case"] = _matter_view(c)
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
    _, title, template = KINDS[doc_key]
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
    _, title, template = KINDS[key]
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
