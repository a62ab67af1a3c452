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
    """Day 1 pushes exactly the matching postings; the digests after push only new matching ones,
    at most `job_push_limit` a day, in rank order, and never one a person was pushed before. Every
    expected list is written out by hand: a matching rule that matched nothing (or everything)
    fails here, not only one that pushed twice."""
    from onematter import matters
    from onematter.casework.catalogue import import_catalogue, parse_catalogue
    from onematter.matters.job_push.followups import job_digest
    from onematter.policy import load_policy
    Posting = next(c.table for c in matters.spec("job_push").catalogue if c.name == "postings")
    day1 = dt.date(2026, 11, 30)

    def pushed() -> list[tuple[str, str, int]]:
        session.expire_all()
        codes = {p.id: p.code for p in session.exec(select(Posting)).all()}
        return sorted((r.channel, codes[r.posting_id], r.rank) for r in session.exec(select(Push)).all())

    app = _submit(session, form)
    cases = _decide_all(session, app)
    # 高中, 制造/安保, 当湖/钟埭/独山港, ≥ 6000: GW-002 (物流, 大专) and GW-005 (电商, 大专) are not pushed
    assert cases["job_push"].status == "pushed"
    assert cases["job_push"].details["postings"] == ["GW-001", "GW-003", "GW-004"]
    assert pushed() == [("intake", "GW-001", 1), ("intake", "GW-003", 2), ("intake", "GW-004", 3)]
    sub = session.exec(select(JobSubscription)).one()
    assert new_matches_for(session, sub, day1) == []
    assert job_digest(session, day1) == 0                           # nothing new that day: no message

    # new postings: more matching ones than the limit, and one that misses each criterion
    limit = load_policy().job_push_limit
    base = {"employer": "平湖示例新材料有限公司", "employer_code": "91330482MA2B3C4D5Y", "title": "操作工",
            "category": "制造", "town": "钟埭街道", "salary_min": 5000, "salary_max": 8000, "education_min": "初中",
            "headcount": 1, "veteran_preferred": False, "valid_until": "2027-01-31"}
    good = [{**base, "code": f"GW-M{k:02d}", "salary_max": 7000 + 100 * k} for k in range(limit + 2)]
    bad = [{**base, "code": "GW-X1", "town": "乍浦镇"}, {**base, "code": "GW-X2", "category": "物流"},
           {**base, "code": "GW-X3", "education_min": "大专"}, {**base, "code": "GW-X4", "salary_max": 5900},
           {**base, "code": "GW-X5", "valid_until": "2026-11-30"}]
    import_catalogue(session, parse_catalogue({"postings": good + bad}))
    session.commit()
    # ranked by salary maximum (none veteran-preferred): the top `limit` on day 2, the other two on day 3
    ranked = [f"GW-M{k:02d}" for k in reversed(range(limit + 2))]
    day2, day3, day4 = (day1 + dt.timedelta(days=n) for n in (1, 2, 3))
    assert [p.code for p in new_matches_for(session, sub, day2)] == ranked[:limit]
    assert job_digest(session, day2) == 1
    session.commit()
    assert job_digest(session, day2) == 0                           # the same day again: nothing twice
    session.commit()
    assert [p.code for p in new_matches_for(session, sub, day3)] == ranked[limit:]
    assert job_digest(session, day3) == 1
    session.commit()
    assert new_matches_for(session, sub, day4) == [] and job_digest(session, day4) == 0
    session.commit()
    assert pushed() == sorted([("intake", "GW-001", 1), ("intake", "GW-003", 2), ("intake", "GW-004", 3)]
                              + [("digest", code, rank) for rank, code in enumerate(ranked[:limit], 1)]
                              + [("digest", code, rank) for rank, code in enumerate(ranked[limit:], 1)])


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
