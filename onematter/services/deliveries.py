"""统一出件 and 送达, as every front end uses them: record a hand-over (the CLI's `handover`, the
case page), an application's deliveries, and the veteran's own pages — 电子送达's download and
办件查询 — opened by the receipt's 核验码 and the last 4 of the ID (throttled, `casework.public`)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from onematter import matters
from onematter.case.lifecycle import APPLICATION_STATUS_LABELS
from onematter.case.models import Document, MatterCase
from onematter.casework import delivery
from onematter.casework.delivery import DeliveryRefused  # noqa: F401 — re-exported for the front ends
from onematter.casework.public import AccessRefused, open_by_receipt
from onematter.config.db import session_scope
from onematter.followups.outbox import enqueue
from onematter.services.scope import EVERYONE, Viewer, visible_application


def handover(*, application_no: str, addressee: str = "person", method: str, by: str, actor: str,
             viewer: Viewer = EVERYONE, **fields) -> dict:
    """Record how the documents reached `addressee` (person | enterprise): {record, deliveries}.
    Raises NotFound, FormError naming `handover.<field>`, DeliveryRefused. An EMS posting to the
    applicant tells them its number; 电子送达 sends the download link again."""
    with session_scope() as session:
        app = visible_application(session, application_no, viewer)
        row = delivery.record(session, app, addressee=addressee, method=method, by=by, actor=actor, **fields)
        if addressee == "person" and method in ("ems", "electronic"):
            payload = {"application_no": app.application_no, "tracking_no": row.details.get("tracking_no", ""),
                       "collect_url": delivery.links(session, app)["collect_url"]}
            enqueue(session, key=f"delivery:{row.id}", kind=f"delivery_{method}", payload=payload,
                    person_id=app.person_id, application_id=app.id)
        return {"record": {"addressee": row.addressee, "method": row.method, "details": row.details,
                           "served": row.served_at is not None,
                           "served_at": row.served_at.isoformat() if row.served_at else None,
                           "text": delivery.describe(row)},
                "deliveries": delivery.state(session, app)}


def deliveries(*, application_no: str, viewer: Viewer = EVERYONE) -> dict:
    with session_scope(readonly=True) as session:
        return delivery.state(session, visible_application(session, application_no, viewer))


def _opened(purpose: str, document_no: str, code: str, id_last4: str, then):
    """Open the application by its receipt and run `then(session, app)`; a wrong answer is
    counted (committed) before AccessRefused goes up."""
    with session_scope() as session:
        try:
            app = open_by_receipt(session, purpose=purpose, document_no=document_no, code=code, id_last4=id_last4)
        except AccessRefused as exc:
            refused = exc
        else:
            return then(session, app)
    raise refused


def collect(*, document_no: str, code: str, id_last4: str) -> tuple[Path, str]:
    """电子送达: the result packet's file and its download name, once the receipt's code and the
    ID's last 4 match; the first download serves the applicant. AccessRefused otherwise, and
    when the result is not issued yet."""
    def then(session, app):
        packet = session.exec(select(Document).where(Document.application_id == app.id,
                                                     Document.doc_key == "packet")).first()
        if packet is None or not Path(packet.path).is_file():
            raise AccessRefused("办理结果文书尚未出具，出具后将以短信通知您")
        delivery.downloaded(session, app)
        return Path(packet.path), f"{app.application_no}-办理结果文书.pdf"
    return _opened("collect", document_no, code, id_last4, then)


def track(*, document_no: str, code: str, id_last4: str) -> dict:
    """办件查询: each matter's state and committed deadline, nothing else."""
    def then(session, app):
        cases = session.exec(select(MatterCase).where(MatterCase.application_id == app.id)).all()
        order = {k: i for i, k in enumerate(matters.keys())}
        rows = [{"title": matters.spec(c.matter).title, "label": matters.spec(c.matter).label(c.status),
                 "deadline": c.deadline.isoformat(),
                 "open": c.status in matters.spec(c.matter).open_statuses}
                for c in sorted(cases, key=lambda c: order[c.matter])]
        return {"no": app.application_no, "status": APPLICATION_STATUS_LABELS.get(app.status, app.status),
                "deadline": app.deadline.isoformat(), "matters": rows,
                "served": delivery.served_all(session, app)}
    return _opened("track", document_no, code, id_last4, then)
