"""查询留痕 (domain.md §1.5): every display of a person's unmasked data or of a document is
recorded — the case page, the print page, a document or a scan, an export, a returning person's
lookup — with the account and station, the person, the application and the item, and how. Rows
are append-only (the database refuses to change them). `person` answers 个人信息保护法 Art. 45:
who has seen this person's data."""

from __future__ import annotations

import uuid

from sqlmodel import select

from onematter.case.models import AccessLog, Application, Person
from onematter.config.db import session_scope
from onematter.config.settings import local
from onematter.services.scope import Viewer

WHAT = {"case": "查看办件", "print": "打印文书", "document": "查看或下载文书", "material": "查看申请材料",
        "export": "导出列表", "lookup": "调取申请人信息", "audit": "查看查询留痕"}


def seen(viewer: Viewer, what: str, *, how: str, application_no: str | None = None,
         person_id: uuid.UUID | None = None, id_number: str | None = None, item: str | None = None) -> None:
    """Record one display by this viewer (its own unit of work, after the read)."""
    with session_scope() as session:
        app_id = None
        if id_number:
            found = session.exec(select(Person).where(Person.id_number == id_number)).first()
            person_id = found.id if found else None
        if application_no:
            app = session.exec(select(Application).where(Application.application_no == application_no)).first()
            if app is not None:
                app_id, person_id = app.id, app.person_id
        session.add(AccessLog(account=viewer.account or "?", station=viewer.station or "", person_id=person_id,
                              application_id=app_id, item=(item or None) and item[:80], what=what, how=how[:200]))


def person(*, id_number: str) -> dict:
    """Who has seen this person's data: {found, person (masked), rows [{at, account, station,
    what, application_no, item, how}]}, the oldest first."""
    from onematter.rules.identity import mask_id
    with session_scope(readonly=True) as session:
        found = session.exec(select(Person).where(Person.id_number == id_number.strip().upper())).first()
        if found is None:
            return {"found": False, "rows": []}
        nos = {a.id: a.application_no for a in session.exec(select(Application).where(
            Application.person_id == found.id)).all()}
        rows = session.exec(select(AccessLog).where(AccessLog.person_id == found.id)
                            .order_by(AccessLog.at, AccessLog.id)).all()
        return {"found": True, "person": {"name": found.name, "id_masked": mask_id(found.id_number)},
                "rows": [{"at": local(r.at).isoformat(timespec="seconds"), "account": r.account, "station": r.station,
                          "what": r.what, "what_label": WHAT.get(r.what, r.what),
                          "application_no": nos.get(r.application_id, ""), "item": r.item or "", "how": r.how}
                         for r in rows]}
