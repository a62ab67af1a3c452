"""Deciding one matter case: load what the rule needs, apply the pure rule, write the rows.

Every function is idempotent: a case that is no longer `pending` is returned untouched, and the
rows it writes have unique keys, so a re-run never enrols, pushes or registers twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import func
from sqlmodel import Session, select

from onematter.cases import get_application, settle_application, transition
from onematter.models import (
    Application, Course, Decision, EducationRegistration, Enrolment, Fair, FairRegistration,
    IncentiveClaim, IncentiveYear, JobSubscription, MatterCase, Notification, Person, Posting,
    Programme, Push,
)
from onematter.policy import load_policy
from onematter.rules import Outcome, refused
from onematter.rules import matters as rules
from onematter.settings import local, now, today


class DecisionRefused(Exception):
    """A supervisor's decision that cannot be taken (already decided, nothing to decide)."""


def _case(session: Session, case_id: uuid.UUID) -> tuple[MatterCase, Application, Person]:
    case = session.get(MatterCase, case_id, with_for_update=True)
    app = session.get(Application, case.application_id)
    person = session.get(Person, app.person_id)
    return case, app, person


def _apply(session: Session, case: MatterCase, outcome: Outcome, *, actor: str, flow_run_id: str | None) -> None:
    case.reason_code, case.reason, case.rule = outcome.reason_code, outcome.reason, outcome.rule
    case.details = {**case.details, **outcome.details}
    case.decided_at = now()
    transition(session, case, outcome.status, actor=actor, flow_run_id=flow_run_id)


def process_matter(session: Session, case_id: uuid.UUID, *, actor: str = "system",
                   flow_run_id: str | None = None) -> MatterCase:
    case, app, person = _case(session, case_id)
    if case.status != "pending":
        return case
    handler = HANDLERS[case.matter]
    handler(session, case, app, person, actor=actor, flow_run_id=flow_run_id)
    session.flush()
    return case


# ------------------------------------------------------------------ 2.1 training


def _training(session, case, app, person, *, actor, flow_run_id):
    course = session.exec(select(Course).where(Course.code == case.request["course"]).with_for_update()).one()
    cite = load_policy().citations["training"]
    mine = session.exec(select(Enrolment).where(Enrolment.person_id == person.id,
                                                Enrolment.status.in_(["enrolled", "waitlisted"]))).all()
    if any(e.course_id == course.id for e in mine):
        outcome = refused("already_enrolled", "您已报名该课程，无需重复报名。", cite)
    else:
        others = [session.get(Course, e.course_id) for e in mine]
        overlapping = any(o.start <= course.end and course.start <= o.end for o in others)
        counts = dict(session.exec(select(Enrolment.status, func.count()).where(
            Enrolment.course_id == course.id).group_by(Enrolment.status)).all())
        outcome = rules.decide_training(
            start=course.start, capacity=course.capacity, enrolled=counts.get("enrolled", 0),
            waitlisted=counts.get("waitlisted", 0), overlapping=overlapping, today=today(), citation=cite)
    details = {"course": course.code, "waitlist_position": outcome.details.get("waitlist_position")}
    if outcome.status != "refused":
        session.add(Enrolment(course_id=course.id, person_id=person.id, matter_case_id=case.id,
                              status=outcome.status, waitlist_position=details["waitlist_position"]))
    _apply(session, case, Outcome(**{**outcome.__dict__, "details": details}), actor=actor, flow_run_id=flow_run_id)


# ------------------------------------------------------------------ 2.2 education


def _education(session, case, app, person, *, actor, flow_run_id):
    prog = session.exec(select(Programme).where(Programme.code == case.request["programme"])).one()
    applicant = app.form["applicant"]
    cite = load_policy().citations["education"]
    if session.exec(select(EducationRegistration).where(EducationRegistration.programme_id == prog.id,
                                                        EducationRegistration.person_id == person.id)).first():
        outcome = refused("already_registered", "您已报名该专业，无需重复报名。", cite)
    else:
        outcome = rules.decide_education(category=applicant["category"], education=applicant["education"],
                                         level=prog.level, opens=prog.opens, closes=prog.closes,
                                         today=today(), citation=cite)
    if outcome.status == "registered":
        session.add(EducationRegistration(programme_id=prog.id, person_id=person.id, matter_case_id=case.id))
    _apply(session, case, Outcome(**{**outcome.__dict__, "details": {"programme": prog.code}}),
           actor=actor, flow_run_id=flow_run_id)


# ------------------------------------------------------------------ 2.3 job push


def posting_view(p: Posting) -> rules.PostingView:
    return rules.PostingView(code=p.code, category=p.category, town=p.town, salary_max=p.salary_max,
                             education_min=p.education_min, veteran_preferred=p.veteran_preferred,
                             valid_until=p.valid_until)


def new_matches_for(session: Session, sub: JobSubscription, day: dt.date) -> list[Posting]:
    """Postings that match a subscription today and were never pushed to this person."""
    pushed = set(session.exec(select(Push.posting_id).where(Push.person_id == sub.person_id)).all())
    candidates = [p for p in session.exec(select(Posting).where(Posting.valid_until >= day)).all()
                  if p.id not in pushed]
    by_code = {p.code: p for p in candidates}
    ranked = rules.match_postings([posting_view(p) for p in candidates], education=sub.education,
                                  categories=sub.categories, towns=sub.towns, min_salary=sub.min_salary,
                                  today=day, limit=load_policy().job_push_limit)
    return [by_code[v.code] for v in ranked]


def _job_push(session, case, app, person, *, actor, flow_run_id):
    applicant = app.form["applicant"]
    intentions = applicant.get("intentions") or {}
    sub = session.exec(select(JobSubscription).where(JobSubscription.person_id == person.id)).first() \
        or JobSubscription(person_id=person.id, education=applicant["education"])
    sub.active, sub.education = True, applicant["education"]
    sub.categories, sub.towns = intentions.get("categories") or [], intentions.get("towns") or []
    sub.min_salary = intentions.get("min_salary")
    session.add(sub)
    session.flush()
    found = new_matches_for(session, sub, today())
    for rank, posting in enumerate(found, 1):
        session.add(Push(person_id=person.id, posting_id=posting.id, matter_case_id=case.id, rank=rank))
    codes = [p.code for p in found]
    if codes:
        session.add(Notification(key=f"push:{case.id}", application_id=app.id, person_id=person.id,
                                 kind="job_push", payload={"postings": codes}))
        outcome = Outcome(status="pushed", details={"postings": codes})
    else:
        outcome = Outcome(status="no_match", reason_code="no_match_yet",
                          reason="暂无符合您求职意向的岗位，已为您开通每日岗位推送，有新岗位将及时推送。",
                          details={"postings": []})
    _apply(session, case, outcome, actor=actor, flow_run_id=flow_run_id)


# ------------------------------------------------------------------ 2.4 job fair


def _job_fair(session, case, app, person, *, actor, flow_run_id):
    mode = case.request.get("mode") or "线下"
    requested = case.request.get("fair")
    cite = load_policy().citations["job_fair"]
    fairs = session.exec(select(Fair).with_for_update()).all()
    views = []
    for f in fairs:
        counts = dict(session.exec(select(FairRegistration.status, func.count()).where(
            FairRegistration.fair_id == f.id, FairRegistration.mode == mode).group_by(FairRegistration.status)).all())
        capacity = f.capacity_offline if mode == "线下" else f.capacity_online
        if mode == "线下" and not f.venue or mode == "线上" and not f.online_url:
            capacity = 0
        views.append(rules.FairView(code=f.code, starts_at=local(f.starts_at), capacity=capacity,
                                    registered=counts.get("registered", 0), waitlisted=counts.get("waitlisted", 0)))
    outcome, code = rules.decide_fair(views, requested=requested, now=now(), citation=cite)
    fair = next((f for f in fairs if f.code == code), None)
    if fair and outcome.status != "refused" and session.exec(select(FairRegistration).where(
            FairRegistration.fair_id == fair.id, FairRegistration.person_id == person.id)).first():
        outcome = refused("already_registered", "您已报名该场招聘会，无需重复报名。", cite)
    details = {"fair": code, "registration_code": None, "waitlist_position": outcome.details.get("waitlist_position"),
               "mode": mode}
    if outcome.status != "refused":
        serial = session.exec(select(func.count()).select_from(FairRegistration).where(
            FairRegistration.fair_id == fair.id)).one() + 1
        check = hashlib.sha256(f"{fair.code}|{person.id}".encode()).hexdigest()[:4].upper()
        details["registration_code"] = f"{fair.code}-{serial:04d}-{check}"
        session.add(FairRegistration(fair_id=fair.id, person_id=person.id, matter_case_id=case.id, mode=mode,
                                     registration_code=details["registration_code"], status=outcome.status,
                                     waitlist_position=details["waitlist_position"]))
        session.add(Notification(key=f"fair-reminder:{case.id}", application_id=app.id, person_id=person.id,
                                 kind="fair_reminder", status="scheduled", payload={"fair": fair.code}))
    _apply(session, case, Outcome(**{**outcome.__dict__, "details": details}), actor=actor, flow_run_id=flow_run_id)




# ------------------------------------------------------------------ 2.5 employer incentive


def _incentive(session, case, app, person, *, actor, flow_run_id):
    req = case.request
    applicant = app.form["applicant"]
    outcome = rules.decide_incentive(
        category=applicant["category"], placement=applicant["placement"],
        contract_start=dt.date.fromisoformat(req["contract_start"]),
        contract_end=dt.date.fromisoformat(req["contract_end"]),
        social_insurance_start=dt.date.fromisoformat(req["social_insurance_start"]),
        employer_code=req["employer_code"], today=today(), policy=load_policy())
    if outcome.status == "pending_decision":
        d = outcome.details
        claim = IncentiveClaim(
            matter_case_id=case.id, employer_name=req["employer_name"], employer_code=req["employer_code"],
            position=req["position"], contract_start=dt.date.fromisoformat(req["contract_start"]),
            contract_end=dt.date.fromisoformat(req["contract_end"]),
            social_insurance_start=dt.date.fromisoformat(req["social_insurance_start"]),
            rate_yuan=d["rate_yuan"], window_start=dt.date.fromisoformat(d["window_start"] + "-01"),
            total_yuan=d["total_yuan"])
        session.add(claim)
        session.flush()
        for row in d["schedule"]:
            session.add(IncentiveYear(claim_id=claim.id, **row))
    _apply(session, case, outcome, actor=actor, flow_run_id=flow_run_id)


HANDLERS = {
    "training": _training,
    "education": _education,
    "job_push": _job_push,
    "job_fair": _job_fair,
    "employer_incentive": _incentive,
}


# ------------------------------------------------------------------ the supervisor's decision


def decide_incentive(session: Session, application_no: str, *, approve: bool, by: str,
                     comment: str | None, source: str, flow_run_id: str | None = None) -> Application:
    """Record a supervisor's decision on the employer-incentive case. The first decision wins."""
    by = (by or "").strip()
    if not by:
        raise DecisionRefused("请填写审核人姓名")
    if not approve and not (comment or "").strip():
        raise DecisionRefused("不予通过时必须填写审核意见")
    app = get_application(session, application_no)
    case = session.exec(select(MatterCase).where(MatterCase.application_id == app.id,
                                                 MatterCase.matter == "employer_incentive").with_for_update()).first()
    if case is None:
        raise DecisionRefused(f"联办申请 {app.application_no} 未申请企业吸纳退役军人就业优惠政策，无需审核")
    existing = session.exec(select(Decision).where(Decision.matter_case_id == case.id)).first()
    if existing:
        verdict = "通过" if existing.approved else "不予通过"
        raise DecisionRefused(f"该申请已由 {existing.decided_by} 于 {local(existing.decided_at):%Y-%m-%d %H:%M} 审核（{verdict}），不能重复审核")
    if case.status != "pending_decision":
        raise DecisionRefused(f"该事项当前状态为 {case.status}，不在待审核状态")
    session.add(Decision(matter_case_id=case.id, approved=approve, decided_by=by, comment=comment, source=source))
    if approve:
        case.reason_code = case.reason = None
    else:
        case.reason_code = "rejected_by_supervisor"
        case.reason = f"经审核不予通过。审核意见：{comment.strip()}"
        case.rule = load_policy().incentive.citation
    case.details = {**case.details, "decided_by": by, "decided_at": now().isoformat(timespec="seconds"),
                    "comment": comment}
    case.decided_at = now()
    transition(session, case, "approved" if approve else "rejected", actor=f"{source}:{by}",
               flow_run_id=flow_run_id, note=comment)
    session.flush()
    settle_application(session, app, actor=f"{source}:{by}", flow_run_id=flow_run_id)
    return app
