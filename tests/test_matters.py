"""Deciding matters against the database: seats, waitlists, pushes, registrations, schedules."""

import datetime as dt

from sqlmodel import select

from onematter.casework.applications import matter_cases, settle_application, submit_application
from onematter.casework.intake import parse_intake
from onematter.matters.job_push import new_matches_for
from onematter.casework.processing import DecisionRefused, process_matter, record_decision
from onematter.case.models import Decision
from onematter.matters.employer_incentive.models import IncentiveYear
from onematter.matters.job_fair.models import FairRegistration
from onematter.matters.job_push.models import JobSubscription, Push
from onematter.matters.training.models import Enrolment
from tests.conftest import make_id

import pytest


def _submit(session, form, n=0, key=None, **applicant):
    f = {**form, "idempotency_key": key or f"k{n}", "applicant": {**form["applicant"], **applicant}}
    if n:
        f["applicant"]["id_number"] = make_id("19900101", seq=f"{100 + n}")
    app, _ = submit_application(session, parse_intake(f), actor="t")
    return app


def _decide_all(session, app):
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    session.commit()
    return {c.matter: c for c in matter_cases(session, app.id)}


def test_sample_application_outcomes(session, catalogue, form):
    app = _submit(session, form)
    cases = _decide_all(session, app)
    assert cases["training"].status == "enrolled"
    assert cases["education"].status == "registered"
    # intentions 制造/安保, towns 当湖/钟埭/独山港, ≥ 6000, education 高中:
    assert cases["job_push"].details["postings"] == ["GW-001", "GW-003", "GW-004"]
    assert cases["job_fair"].status == "registered"
    assert cases["job_fair"].details["registration_code"].startswith("ZP-01-0001-")
    inc = cases["employer_incentive"]
    assert inc.status == "pending_decision"
    assert inc.details["schedule"] == [
        {"year": 2026, "months": 9, "amount_yuan": 6750}, {"year": 2027, "months": 12, "amount_yuan": 9000},
        {"year": 2028, "months": 12, "amount_yuan": 9000}, {"year": 2029, "months": 3, "amount_yuan": 2250}]
    assert inc.details["total_yuan"] == 27000
    assert len(session.exec(select(IncentiveYear)).all()) == 4
    assert app.status == "awaiting_decision"


def test_processing_twice_does_nothing_twice(session, catalogue, form):
    app = _submit(session, form)
    _decide_all(session, app)
    _decide_all(session, app)
    assert len(session.exec(select(Enrolment)).all()) == 1
    assert len(session.exec(select(Push)).all()) == 3
    assert len(session.exec(select(FairRegistration)).all()) == 1
    assert len(session.exec(select(IncentiveYear)).all()) == 4


def test_training_full_course_waitlists_with_position(session, catalogue, form):
    for n in range(1, 5):   # PX-TZJX-01 has 2 seats
        f = {**form, "matters": {"training": {"course": "PX-TZJX-01"}}}
        app = _submit(session, f, n)
        case = _decide_all(session, app)["training"]
        expected = ("enrolled", None) if n <= 2 else ("waitlisted", n - 2)
        assert (case.status, case.details["waitlist_position"]) == expected


def test_training_overlap_is_refused(session, catalogue, form):
    app = _submit(session, {**form, "matters": {"training": {"course": "PX-QCWX-01"}}})
    _decide_all(session, app)
    app.status, app.open_person_id = "completed", None   # close it to apply again
    session.add(app)
    session.commit()
    second = _submit(session, {**form, "matters": {"training": {"course": "PX-DZSW-01"}}}, key="second")
    case = _decide_all(session, second)["training"]
    assert (case.status, case.reason_code) == ("refused", "overlapping_enrolment")


def test_daily_digest_never_pushes_a_posting_twice(session, catalogue, form):
    app = _submit(session, form)
    _decide_all(session, app)
    sub = session.exec(select(JobSubscription)).one()
    assert new_matches_for(session, sub, dt.date(2026, 11, 30)) == []


def test_incentive_decision_first_wins_and_completes_the_application(session, catalogue, form):
    app = _submit(session, form)
    _decide_all(session, app)
    with pytest.raises(DecisionRefused, match="审核意见"):
        record_decision(session, app.application_no, approve=False, by="李科长", comment="", source="cli")
    record_decision(session, app.application_no, approve=True, by="李科长", comment=None, source="cli")
    session.commit()
    with pytest.raises(DecisionRefused, match="不能重复审核"):
        record_decision(session, app.application_no, approve=False, by="赵", comment="no", source="prefect-ui")
    decision = session.exec(select(Decision)).one()
    assert (decision.approved, decision.decided_by, decision.source) == (True, "李科长", "cli")
    session.refresh(app)
    assert app.status == "completed" and app.open_person_id is None


def test_refused_matter_does_not_block_others(session, catalogue, form):
    app = _submit(session, form, category="军官")
    cases = _decide_all(session, app)
    assert cases["education"].reason_code == "not_veteran_soldier"
    assert cases["employer_incentive"].reason_code == "not_self_employed_soldier"
    assert cases["training"].status == "enrolled" and cases["job_fair"].status == "registered"
    assert app.status == "completed"
