"""Deciding a matter case against the database, and recording a supervisor's decision — for any
registered matter: the matter's handler writes its own rows and returns an Outcome; this module
applies it through the transition table.

Every function is idempotent: a case that is no longer `pending` is returned untouched, and the
rows a handler writes have unique keys, so a re-run never enrols, pushes or registers twice."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from onematter import matters
from onematter.case.lifecycle import get_application
from onematter.casework import materials
from onematter.casework.applications import matter_cases, settle_application, transition
from onematter.case.forms import clean_text
from onematter.matters.spec import MatterSpec
from onematter.case.models import Application, Decision, Event, MatterCase, Person
from onematter.policy import load_policy
from onematter.rules import Outcome
from onematter.config.settings import local, now


DECISION_SOURCES = {"cli": "命令行", "web": "工作台", "prefect-ui": "Prefect 审核表单"}   # how a decision came


class DecisionRefused(Exception):
    """A supervisor's decision that cannot be taken (already decided, nothing to decide)."""


def apply_outcome(session: Session, case: MatterCase, outcome: Outcome, *, actor: str,
                  flow_run_id: str | None) -> None:
    case.reason_code, case.reason, case.rule = outcome.reason_code, outcome.reason, outcome.rule
    case.details = {**case.details, **outcome.details}
    case.decided_at = now()
    transition(session, case, outcome.status, actor=actor, flow_run_id=flow_run_id)


def process_matter(session: Session, case_id: uuid.UUID, *, actor: str = "system",
                   flow_run_id: str | None = None, check_materials: bool = True) -> MatterCase:
    """Apply the matter's rule to a pending case and write its rows (no commit). A case missing a
    required material waits in 待补正 instead (unless `check_materials` is off: 预审 asks what
    the rule will decide)."""
    case = session.get(MatterCase, case_id, with_for_update=True)
    if case.status != "pending":
        return case
    app = session.get(Application, case.application_id)
    if check_materials and (lacking := materials.missing(session, app, case.matter)):
        materials.await_materials(session, case, app, lacking, actor=actor, flow_run_id=flow_run_id)
        session.flush()
        return case
    person = session.get(Person, app.person_id)
    outcome = matters.spec(case.matter).handle(session, case, app, person)
    apply_outcome(session, case, outcome, actor=actor, flow_run_id=flow_run_id)
    session.flush()
    return case


# ------------------------------------------------------------------ the supervisor's decision


def deciding_matter(session: Session, app: Application, matter: str | None) -> MatterSpec:
    """The matter a decision is for: the one named, or else the application's first matter that
    waits for a supervisor (registry order: the employer incentive comes first)."""
    if matter is not None:
        try:
            spec = matters.spec(matter)
        except matters.UnknownMatter:
            names = "、".join(s.key for s in matters.deciding())
            raise DecisionRefused(f"不认识的事项“{matter}”；需要审核的事项有：{names}") from None
        if spec.decision is None:
            raise DecisionRefused(f"“{spec.title}”事项按规则直接办理，不需要审核")
        return spec
    mine = {c.matter for c in matter_cases(session, app.id)}
    candidates = [s for s in matters.deciding() if s.key in mine]
    if not candidates:
        raise DecisionRefused(f"联办申请 {app.application_no} 没有需要审核的事项")
    waiting = [s for s in candidates if _case(session, app, s).status == s.decision.waiting]
    return (waiting or candidates)[0]


def take_claim(session: Session, case: MatterCase, by: str, actor: str, *, note: str | None = None) -> None:
    """认领 itself (the caller checked the decision is free): the assignee and the event on the
    timeline (`note`: what it says; 认领：<by> by default). No commit. casework/claims.py uses it."""
    case.assignee, case.assigned_at = by, now()
    session.add(case)
    session.add(Event(application_id=case.application_id, entity=f"matter:{case.matter}", entity_id=case.id,
                      from_status=case.status, to_status=case.status, actor=actor, note=note or f"认领：{by}"))


def decision_case(session: Session, app: Application, spec: MatterSpec) -> MatterCase | None:
    """The application's case of a matter a supervisor decides (locked), or None."""
    return _case(session, app, spec)


def _case(session: Session, app: Application, spec: MatterSpec) -> MatterCase | None:
    return session.exec(select(MatterCase).where(MatterCase.application_id == app.id,
                                                 MatterCase.matter == spec.key).with_for_update()).first()


def record_decision(session: Session, application_no: str, *, matter: str | None = None, approve: bool,
                    by: str, comment: str | None, source: str, flow_run_id: str | None = None,
                    claimed_first: bool = False) -> Application:
    """Record a supervisor's decision on one matter of an application. The first decision wins.
    Only the claimant decides a claimed matter (认领); an unclaimed one is claimed by the decider
    as they decide (the CLI, the Prefect form) unless `claimed_first` (the staff page: claim, then
    decide)."""
    by = (by or "").strip()
    if not by:
        raise DecisionRefused("请填写审核人姓名")
    if len(by) > 30 or len(comment or "") > 500:
        raise DecisionRefused("审核人姓名不能超过30个字符，审核意见不能超过500个字符")
    try:
        by, comment = clean_text(by), clean_text(comment) if comment else comment
    except ValueError as exc:
        raise DecisionRefused(f"审核人姓名或审核意见{exc}") from None
    if not approve and not (comment or "").strip():
        raise DecisionRefused("不予通过时必须填写审核意见")
    app = get_application(session, application_no)
    spec = deciding_matter(session, app, matter)
    case = _case(session, app, spec)
    if case is None:
        raise DecisionRefused(f"联办申请 {app.application_no} 未申请{spec.title}，无需审核")
    existing = session.exec(select(Decision).where(Decision.matter_case_id == case.id)).first()
    if existing:
        verdict = "通过" if existing.approved else "不予通过"
        raise DecisionRefused(f"该申请的{spec.title}已由 {existing.decided_by} 于 "
                              f"{local(existing.decided_at):%Y-%m-%d %H:%M} 审核（{verdict}），不能重复审核")
    if lacking := materials.missing(session, app, spec.key):
        raise DecisionRefused(f"{spec.title}缺少材料：{materials.names(lacking)}。"
                              f"材料补正齐全后才能审核（onematter materials add 或工作台“补正材料”）")
    if case.status != spec.decision.waiting:
        raise DecisionRefused(f"{spec.title}当前状态为“{spec.label(case.status)}”，不在待审核状态")
    if case.assignee and case.assignee != by:
        raise DecisionRefused(f"{spec.title}已由 {case.assignee} 认领，只有认领人可以审核（请其释放或转交后再审核）")
    if not case.assignee:
        if claimed_first:
            raise DecisionRefused(f"请先认领{spec.title}，再审核")
        take_claim(session, case, by, f"{source}:{by}", note=f"认领：{by}（审核时）")
    session.add(Decision(matter_case_id=case.id, approved=approve, decided_by=by, comment=comment, source=source))
    if approve:
        case.reason_code = case.reason = None
    else:
        case.reason_code = "rejected_by_supervisor"
        case.reason = f"经审核，不予确认。审核意见：{comment.strip()}"
        case.rule = spec.rejection_rule(load_policy())
    case.details = {**case.details, "decided_by": by, "decided_at": now().isoformat(timespec="seconds"),
                    "comment": comment}
    case.decided_at = now()
    transition(session, case, spec.decision.approved if approve else spec.decision.rejected,
               actor=f"{source}:{by}", flow_run_id=flow_run_id, note=comment)
    session.flush()
    settle_application(session, app, actor=f"{source}:{by}", flow_run_id=flow_run_id)
    return app
