"""The outbox as staff see it (recipients masked), and a veteran's 退订."""

from __future__ import annotations

from sqlmodel import Session, select

from onematter.case.models import Application, Notification, Person
from onematter.config.db import session_scope
from onematter.followups.outbox import opt_out as record_opt_out


def notifications(session: Session, *, status: str | None = None, limit: int = 200) -> list[dict]:
    """What was sent, what waits, what failed — newest first, at most `limit`, only `status` if given."""
    query = select(Notification).order_by(Notification.created_at.desc()).limit(limit)
    if status:
        query = query.where(Notification.status == status)
    rows = []
    for n in session.exec(query).all():
        person = session.get(Person, n.person_id) if n.person_id else None
        app = session.get(Application, n.application_id) if n.application_id else None
        rows.append({"id": str(n.id), "kind": n.kind, "audience": n.audience, "status": n.status,
                     "application_no": app.application_no if app else None,
                     "recipient": person.id_masked if person else None, "attempts": n.attempts,
                     "segments": n.segments, "created_at": n.created_at.isoformat(timespec="seconds"),
                     "sent_at": n.sent_at.isoformat(timespec="seconds") if n.sent_at else None,
                     "last_error": n.last_error})
    return rows


def opt_out(*, id_number: str, source: str) -> dict:
    """No more messages to the applicant with this ID number. Raises LookupError (no such
    applicant) or ValueError (not an ID number)."""
    with session_scope() as session:
        person = record_opt_out(session, id_number, source=source)
        return {"opted_out": person.id_masked}
