"""The case lifecycle: the application's transition table, the one function that changes a status
(checked against a transition table, with its event), application numbers, finding an
application. Knows no matter: a matter's table comes from its spec, passed in by the caller."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from onematter.case.models import Application, DailySerial, Event, MatterCase
from onematter.policy import load_policy

# awaiting_materials: a matter waits for the applicant's materials (待补正); once they are
# complete the application is processed again (its waiting matters are pending once more)
APPLICATION_TRANSITIONS = {
    "received": {"processing"},
    "processing": {"awaiting_decision", "awaiting_materials", "completed"},
    "awaiting_decision": {"completed", "awaiting_materials"},
    "awaiting_materials": {"processing", "awaiting_decision", "completed"},
}
APPLICATION_STATUS_LABELS = {
    "received": "已受理", "processing": "办理中", "awaiting_decision": "待审核", "awaiting_materials": "待补正",
    "completed": "已办结",
}
STUCK_STATUSES = {"received", "processing"}     # open, and nobody waits on a person for it


class IllegalTransition(Exception):
    pass


class OpenApplicationExists(Exception):
    def __init__(self, application_no: str, status: str = ""):
        super().__init__(f"该申请人已有一件未办结的联办申请 {application_no}")
        self.application_no = application_no
        self.status = status


class NotFound(Exception):
    pass


def change_status(
    session: Session, target: Application | MatterCase, to_status: str, *, actor: str,
    allowed: dict[str, frozenset[str] | set[str]] | None = None, flow_run_id: str | None = None,
    note: str | None = None,
) -> None:
    """Change a status if the transition table allows it, and append the event. No commit.
    `allowed`: a matter case's table (its spec's); an application's is APPLICATION_TRANSITIONS."""
    if isinstance(target, Application):
        allowed, entity, app_id = APPLICATION_TRANSITIONS, "application", target.id
    else:
        if allowed is None:
            raise TypeError("a matter case's status changes against its matter's transition table")
        entity, app_id = f"matter:{target.matter}", target.application_id
    if to_status not in allowed.get(target.status, set()):
        raise IllegalTransition(f"{entity} 不能从 {target.status} 变为 {to_status}")
    session.add(Event(application_id=app_id, entity=entity, entity_id=target.id, from_status=target.status,
                      to_status=to_status, actor=actor, flow_run_id=flow_run_id, note=note))
    target.status = to_status
    session.add(target)


def next_application_no(session: Session, day: dt.date) -> str:
    """`<prefix>-<yyyymmdd>-<serial>`; the counter row is locked so serials never repeat."""
    prefix = load_policy().application_no_prefix
    row = session.exec(
        select(DailySerial).where(DailySerial.prefix == prefix, DailySerial.day == day).with_for_update()
    ).first()
    if row is None:
        try:
            with session.begin_nested():
                row = DailySerial(prefix=prefix, day=day, last=0)
                session.add(row)
                session.flush()
        except IntegrityError:  # created concurrently: lock the winner's row
            row = session.exec(select(DailySerial).where(
                DailySerial.prefix == prefix, DailySerial.day == day).with_for_update()).one()
    row.last += 1
    session.add(row)
    session.flush()
    return f"{prefix}-{day:%Y%m%d}-{row.last:04d}"


def get_application(session: Session, application_no_or_id: str | uuid.UUID) -> Application:
    if isinstance(application_no_or_id, uuid.UUID):
        app = session.get(Application, application_no_or_id)
    else:
        app = session.exec(select(Application).where(
            func.upper(Application.application_no) == application_no_or_id.strip().upper())).first()
    if app is None:
        raise NotFound(f"找不到联办申请 {application_no_or_id}")
    return app
