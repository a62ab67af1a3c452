"""Each matter's rule as a pure function, without a database or Prefect."""

import datetime as dt

import pytest

from onematter import matters
from onematter.policy import load_policy
from onematter.matters.education import rules as education_rules
from onematter.matters.employer_incentive import rules as incentive
from onematter.matters.job_fair import rules as fair
from onematter.matters.job_push import rules as push
from onematter.matters.training import rules as training

T = dt.date(2026, 11, 30)


def test_incentive_worked_example_from_the_handbook():
    schedule = incentive.incentive_schedule(rate_yuan=9000, start=dt.date(2026, 4, 1), contract_end=dt.date(2031, 1, 1))
    assert schedule == [
        {"year": 2026, "months": 9, "amount_yuan": 6750},
        {"year": 2027, "months": 12, "amount_yuan": 9000},
        {"year": 2028, "months": 12, "amount_yuan": 9000},
        {"year": 2029, "months": 3, "amount_yuan": 2250},
    ]
    assert sum(row["amount_yuan"] for row in schedule) == 27000


def test_incentive_stops_at_the_contracts_last_month_and_rounds_half_up():
    schedule = incentive.incentive_schedule(rate_yuan=7000, start=dt.date(2026, 11, 1), contract_end=dt.date(2027, 12, 15))
    # 2026: 2 months × 7000/12 = 1166.67 → 1167; 2027: 12 months → 7000 (contract ends in Dec 2027)
    assert schedule == [{"year": 2026, "months": 2, "amount_yuan": 1167},
                        {"year": 2027, "months": 12, "amount_yuan": 7000}]
    half = incentive.incentive_schedule(rate_yuan=6006, start=dt.date(2026, 12, 1), contract_end=dt.date(2026, 12, 31))
    assert half == [{"year": 2026, "months": 1, "amount_yuan": 501}]   # 500.5 → 501


def _incentive(**kw):
    args = dict(category="军士", placement="自主就业", contract_start=dt.date(2026, 4, 1),
                contract_end=dt.date(2027, 3, 31), social_insurance_start=dt.date(2026, 5, 1),
                employer_code="91330482MA2B3C4D5Y", today=T,
                policy=matters.spec("employer_incentive").policy(load_policy()))
    return incentive.assess_incentive(**{**args, **kw})


def test_incentive_window_starts_when_both_conditions_hold():
    outcome = _incentive()
    assert outcome.status == "pending_decision"
    assert outcome.details["window_start"] == "2026-05"
    # contract ends 2027-03: 2026 May–Dec 8 months, 2027 Jan–Mar 3 months
    assert [(s["year"], s["months"]) for s in outcome.details["schedule"]] == [(2026, 8), (2027, 3)]
    assert outcome.details["total_yuan"] == 6000 + 2250


@pytest.mark.parametrize("kw,code", [
    ({"placement": "安排工作"}, "not_self_employed_soldier"),
    ({"category": "军官"}, "not_self_employed_soldier"),
    ({"employer_code": "52330482MJ1234567X"}, "not_enterprise"),
    ({"contract_end": dt.date(2027, 3, 30)}, "contract_too_short"),
    ({"social_insurance_start": dt.date(2027, 1, 1)}, "social_insurance_not_started"),
    ({"contract_start": dt.date(2022, 6, 1), "contract_end": dt.date(2025, 6, 1),
      "social_insurance_start": dt.date(2022, 6, 1)}, "outside_policy_period"),
])
def test_incentive_refusals_carry_reason_and_citation(kw, code):
    outcome = _incentive(**kw)
    assert outcome.status == "refused"
    assert outcome.reason_code == code
    assert outcome.reason and "公告2023年第14号" in outcome.rule


def test_training_seats_waitlist_and_closing():
    args = dict(start=T + dt.timedelta(days=5), capacity=2, overlapping=False, today=T, citation="c")
    assert training.assess_training(enrolled=1, waitlisted=0, **args).status == "enrolled"
    full = training.assess_training(enrolled=2, waitlisted=3, **args)
    assert (full.status, full.details["waitlist_position"]) == ("waitlisted", 4)
    closed = training.assess_training(**{**args, "start": T}, enrolled=0, waitlisted=0)
    assert (closed.status, closed.reason_code) == ("refused", "enrolment_closed")
    overlap = training.assess_training(**{**args, "overlapping": True}, enrolled=0, waitlisted=0)
    assert overlap.reason_code == "overlapping_enrolment"


@pytest.mark.parametrize("category,education,level,code", [
    ("军士", "高中", "大专", None),
    ("义务兵", "中专", "大专", None),
    ("军士", "大专", "本科", None),
    ("军官", "高中", "大专", "not_veteran_soldier"),
    ("军士", "初中", "大专", "education_prerequisite"),
    ("军士", "高中", "本科", "education_prerequisite"),
    ("军士", "大专", "大专", "already_holds_level"),
    ("军士", "本科", "本科", "already_holds_level"),
])
def test_education_eligibility(category, education, level, code):
    outcome = education_rules.assess_education(category=category, education=education, level=level,
                                 opens=T - dt.timedelta(days=1), closes=T, today=T, citation="c")
    assert outcome.reason_code == code
    assert outcome.status == ("registered" if code is None else "refused")


def test_education_window():
    args = dict(category="军士", education="高中", level="大专", today=T, citation="c")
    assert education_rules.assess_education(opens=T + dt.timedelta(days=1), closes=T + dt.timedelta(days=9), **args).reason_code == "window_not_open"
    assert education_rules.assess_education(opens=T - dt.timedelta(days=9), closes=T - dt.timedelta(days=1), **args).reason_code == "window_closed"


def _p(code, **kw):
    base = dict(code=code, category="制造", town="当湖街道", salary_max=8000, education_min="高中",
                veteran_preferred=False, valid_until=T + dt.timedelta(days=10))
    return push.PostingView(**{**base, **kw})


def test_job_matching_filters_and_ranking():
    postings = [
        _p("A", salary_max=9000),
        _p("B", veteran_preferred=True, salary_max=7000),
        _p("C", salary_max=9000, valid_until=T + dt.timedelta(days=2)),
        _p("D", category="物流"),                       # wrong category
        _p("E", town="乍浦镇"),                         # wrong town
        _p("F", salary_max=5000),                       # below desired minimum
        _p("G", education_min="本科"),                  # education too low
        _p("H", valid_until=T - dt.timedelta(days=1)),  # expired
    ]
    found = push.match_postings(postings, education="大专", categories=["制造"], towns=["当湖街道"],
                             min_salary=6000, today=T, limit=10)
    assert [p.code for p in found] == ["B", "C", "A"]
    assert [p.code for p in push.match_postings(postings, education="大专", categories=[], towns=[],
                                             min_salary=None, today=T, limit=2)] == ["B", "C"]


def test_fair_choice():
    now = dt.datetime(2026, 11, 30, 10, tzinfo=dt.timezone.utc)
    fairs = [fair.FairView("F1", now + dt.timedelta(days=1), 1, 1, 0),
             fair.FairView("F2", now + dt.timedelta(days=3), 5, 0, 0),
             fair.FairView("F0", now - dt.timedelta(hours=1), 5, 0, 0)]
    outcome, code = fair.assess_fair(fairs, requested=None, now=now, citation="c")
    assert (outcome.status, code) == ("registered", "F2")          # next upcoming fair with room
    outcome, code = fair.assess_fair(fairs, requested="F1", now=now, citation="c")
    assert (outcome.status, outcome.details["waitlist_position"], code) == ("waitlisted", 1, "F1")
    outcome, code = fair.assess_fair(fairs, requested="F0", now=now, citation="c")
    assert outcome.reason_code == "fair_started"
    outcome, _ = fair.assess_fair([fairs[2]], requested=None, now=now, citation="c")
    assert outcome.reason_code == "no_upcoming_fair"
