"""What an application's file holds: the document kinds (the core's and every matter's), their
numbers and titles, which are due in the current statuses, and the status labels. Pure lookups
over the registry: no rendering, so reading commands stay light."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlmodel import select

from onematter import matters
from onematter.case.lifecycle import APPLICATION_STATUS_LABELS  # noqa: F401 — re-exported
from onematter.case.models import Application, Document, MatterCase
from onematter.casework.applications import matter_cases
from onematter.config.settings import get_settings


@dataclass(frozen=True)
class Kind:
    key: str
    number: int
    title: str
    template: str                      # under templates/ (a matter's: in its folder, templates/matters/<key>/)
    qr: bool = False
    matter: str | None = None          # the matter it belongs to (None: the application's own)
    official: bool = False             # a 通知书/告知书: official typography and a 文号


CORE_KINDS = (
    Kind("form", 1, "一件事联办申请表", "form/document.html"),
    Kind("receipt", 2, "受理回执", "receipt/document.html", qr=True),
    # every official notice carries its verification QR code (the tax office checks the incentive's)
    Kind("completion", 20, "办结通知书", "completion/document.html", qr=True, official=True),
    # 一次性告知 (domain.md §1.1): every missing item of every matter, once, in the intake packet
    Kind("materials_notice", 22, "补正材料一次性告知书", "materials_notice/document.html", qr=True, official=True),
    Kind("packet-intake", 29, "受理文书清单", "packet/cover.html", qr=True),
    Kind("packet", 30, "办理结果文书清单", "packet/cover.html", qr=True),
)


@lru_cache(maxsize=1)
def kinds() -> dict[str, Kind]:
    """Every document kind by doc_key, ordered by number."""
    found = list(CORE_KINDS)
    for s in matters.all_specs():
        found += [Kind(d.key, d.number, d.title, s.template(d.template), d.qr or d.official, s.key, d.official)
                  for d in s.documents]
        if s.refusable:
            found.append(Kind(f"refusal-{s.key}", s.refusal_number, "不予受理告知书", "refusal/document.html",
                              qr=True, matter=s.key, official=True))
        if s.decision is not None and s.decision.rejection_number is not None:
            found.append(Kind(f"rejection-{s.key}", s.decision.rejection_number, s.decision.rejection_title,
                              "rejection/document.html", qr=True, matter=s.key, official=True))
    return {k.key: k for k in sorted(found, key=lambda k: k.number)}


def kind(doc_key: str) -> Kind:
    return kinds()[doc_key]


def status_label(matter: str, status: str) -> str:
    return matters.spec(matter).label(status)


def refusal_key(case: MatterCase) -> str | None:
    """The notice a matter's "no" is due: 不予受理告知书 when it was refused as the application was
    taken, 审核不予确认通知书 when a supervisor rejected it after review."""
    spec = matters.spec(case.matter)
    if spec.refusable and case.status == "refused":
        return f"refusal-{case.matter}"
    if spec.decision is not None and case.status == spec.decision.rejected:
        return f"rejection-{case.matter}" if spec.decision.rejection_number else f"refusal-{case.matter}"
    return None


def due_documents(app: Application, cases: list[MatterCase]) -> list[str]:
    keys = ["form", "receipt"]
    if any(c.details.get("materials_noticed") for c in cases):     # issued once, kept in the file
        keys.append("materials_notice")
    for case in cases:
        spec = matters.spec(case.matter)
        keys += [d.key for d in spec.documents if d.due(case)]
        if key := refusal_key(case):
            keys.append(key)
    if app.status == "completed":
        keys.append("completion")
    return sorted(keys, key=lambda k: kind(k).number)


def packet_key(app: Application) -> str | None:
    if app.status == "completed":
        return "packet"
    if app.status in ("awaiting_decision", "awaiting_materials"):
        return "packet-intake"
    return None


def missing_documents(session, app: Application) -> list[str]:
    """Kinds the application is due now (its packet included) whose file is not there."""

    have = {d.doc_key for d in session.exec(select(Document).where(Document.application_id == app.id))
            if d.disposed or Path(d.path).is_file()}      # archived or deleted by retention: not missing
    due = due_documents(app, matter_cases(session, app.id)) + [k for k in [packet_key(app)] if k]
    return [k for k in due if k not in have]


def document_path(app: Application, doc_key: str) -> Path:
    return get_settings().documents_dir / app.application_no / f"{kind(doc_key).number:02d}-{doc_key}.pdf"
