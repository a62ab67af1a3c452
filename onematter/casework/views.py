"""The public JSON shape of an application (the CLI's output contract)."""

from __future__ import annotations

from onematter.casework import materials
from sqlmodel import Session, select

from onematter import matters
from onematter.casework.applications import matter_cases
from onematter.casework.dossier import kind
from onematter.case.models import Application, Document


def application_view(session: Session, app: Application) -> dict:
    files = materials.files_of(session, app.id)
    docs = session.exec(select(Document).where(Document.application_id == app.id)).all()
    docs = sorted(docs, key=lambda d: kind(d.doc_key).number)
    return {
        "application_no": app.application_no,
        "status": app.status,
        "deadline": app.deadline.isoformat(),
        "application_date": app.application_date.isoformat(),
        "town": app.town,
        "policy_version": app.policy_version,
        "matters": [
            {"matter": c.matter, "status": c.status, "reason_code": c.reason_code, "reason": c.reason,
             "deadline": c.deadline.isoformat(),
             # 补正: the required materials with no scan yet (keys of policy `materials`)
             "missing_materials": [m.key for m in materials.missing(session, app, c.matter, files)],
             "details": {k: c.details[k] for k in matters.spec(c.matter).details_shown if k in c.details}}
            for c in matter_cases(session, app.id)
        ],
        "documents": [
            {"kind": d.doc_key, "title": d.title, "document_no": d.document_no, "path": d.path,
             "sha256": d.pdf_sha256, "verification_code": d.verification_code, "pages": d.pages}
            for d in docs
        ],
        "materials_tracked": app.materials_tracked,
        "materials": materials.view(session, app, files),
    }
