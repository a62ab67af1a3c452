"""认领 (domain.md §1.2): a supervisor claims a matter's decision before deciding it; only the
claimant decides it until it is released; a supervisor may hand it to another with a note. Every
claim, release and hand-over is an event on the application's timeline. Claims are by the
supervisor's name, as decisions are (the staff page's account name, the CLI's `--by`, the Prefect
form's 审核人姓名)."""

from __future__ import annotations

from sqlmodel import Session

from onematter.case.forms import clean_text
from onematter.case.lifecycle import get_application
from onematter.case.models import Event, MatterCase
from onematter.casework.processing import DecisionRefused, decision_case, deciding_matter, take_claim
from onematter.config.settings import local


class ClaimRefused(Exception):
    """A claim, release or hand-over that cannot be made (said in Chinese)."""


def _name(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 30:
        raise ClaimRefused(f"请填写{what}姓名（不超过30个字符）")
    try:
        return clean_text(value)
    except ValueError as exc:
        raise ClaimRefused(f"{what}姓名{exc}") from None


def _waiting(session: Session, application_no: str, matter: str | None) -> tuple[MatterCase, str]:
    app = get_application(session, application_no)
    try:
        spec = deciding_matter(session, app, matter)
    except DecisionRefused as exc:             # an unknown matter, or none to decide
        raise ClaimRefused(str(exc)) from None
    case = decision_case(session, app, spec)
    if case is None or case.status != spec.decision.waiting:
        raise ClaimRefused(f"{spec.title}不在待审核状态，无需认领")
    return case, spec.title


def held_by(case: MatterCase) -> str:
    return f"{case.assignee}（{local(case.assigned_at):%m-%d %H:%M} 认领）" if case.assigned_at else str(case.assignee)


def _event(session: Session, case: MatterCase, actor: str, note: str) -> None:
    session.add(Event(application_id=case.application_id, entity=f"matter:{case.matter}", entity_id=case.id,
                      from_status=case.status, to_status=case.status, actor=actor, note=note))


def claim(session: Session, application_no: str, matter: str | None, *, by: str, actor: str) -> MatterCase:
    """Claim the decision; claiming what one already holds does nothing. No commit."""
    by = _name(by, "认领人")
    case, title = _waiting(session, application_no, matter)
    if case.assignee == by:
        return case
    if case.assignee:
        raise ClaimRefused(f"{title}已由 {held_by(case)}，请由认领人审核，或请其释放、转交")
    take_claim(session, case, by, actor)
    session.flush()
    return case


def release(session: Session, application_no: str, matter: str | None, *, by: str, actor: str) -> MatterCase:
    """Give the decision back to the queue: only its claimant may. No commit."""
    by = _name(by, "释放人")
    case, title = _waiting(session, application_no, matter)
    if not case.assignee:
        raise ClaimRefused(f"{title}尚未认领")
    if case.assignee != by:
        raise ClaimRefused(f"{title}由 {held_by(case)}，只有认领人可以释放")
    case.assignee = case.assigned_at = None
    session.add(case)
    _event(session, case, actor, f"释放认领：{by}")
    session.flush()
    return case


def reassign(session: Session, application_no: str, matter: str | None, *, by: str, to: str, note: str,
             actor: str) -> MatterCase:
    """Hand the decision to another supervisor, with a note (转交). No commit."""
    by, to = _name(by, "转交人"), _name(to, "接收人")
    note = (note or "").strip()
    if not note or len(note) > 200:
        raise ClaimRefused("转交时请填写说明（不超过200个字符）")
    case, title = _waiting(session, application_no, matter)
    if to == case.assignee:
        raise ClaimRefused(f"{title}已由 {to} 认领")
    take_claim(session, case, to, actor, note=f"转交：{case.assignee or '未认领'} → {to}，{clean_text(note)}")
    session.flush()
    return case
