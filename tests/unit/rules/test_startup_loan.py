"""The startup loan's rule and subsidy schedule as pure functions (domain.md §2.6)."""

import datetime as dt
from decimal import Decimal

import pytest

from onematter import matters
from onematter.policy import load_policy
from onematter.matters.startup_loan import rules as r


def test_subsidy_worked_example_from_the_handbook():
    schedule = r.loan_subsidy_schedule(amount_yuan=300_000, rate_percent=Decimal("3.0"),
                                       start=dt.date(2026, 12, 1), term_months=36)
    assert schedule == [
        {"year": 2026, "months": 1, "amount_yuan": 750},
        {"year": 2027, "months": 12, "amount_yuan": 9000},
        {"year": 2028, "months": 12, "amount_yuan": 9000},
        {"year": 2029, "months": 11, "amount_yuan": 8250},
    ]
    assert r.last_month(dt.date(2026, 12, 1), 36) == dt.date(2029, 11, 1)


def test_subsidy_rounds_half_up_per_year():
    # 10,001 × 3 % ÷ 12 × 1 = 25.0025 → 25; 250,020 × 3.85 % ÷ 12 × 5 = 4,010.7375 → 4,011
    assert r.loan_subsidy_schedule(amount_yuan=10_001, rate_percent=Decimal("3"), start=dt.date(2027, 1, 1),
                                   term_months=1) == [{"year": 2027, "months": 1, "amount_yuan": 25}]
    assert r.loan_subsidy_schedule(amount_yuan=250_020, rate_percent=Decimal("3.85"), start=dt.date(2027, 8, 1),
                                   term_months=5) == [{"year": 2027, "months": 5, "amount_yuan": 4011}]


def _assess(**kw):
    args = dict(placement="自主就业", amount_yuan=300_000, term_months=36, loan_start=dt.date(2026, 12, 1),
                holds_open_loan=False, policy=matters.spec("startup_loan").policy(load_policy()))
    return r.assess_startup_loan(**{**args, **kw})


def test_eligible_loan_waits_for_a_decision_with_its_schedule():
    outcome = _assess()
    assert outcome.status == "pending_decision"
    assert outcome.details["subsidy_total_yuan"] == 27000 and outcome.details["rate_percent"] == "3.0"
    assert "LPR" in outcome.details["benchmark"] and "2026年11月20日" in outcome.details["benchmark"]


@pytest.mark.parametrize("kw,code,fact", [
    ({"placement": "安排工作"}, "placement_not_eligible", "安排工作"),
    ({"placement": "退休"}, "placement_not_eligible", "退休"),
    ({"amount_yuan": 500_001}, "amount_over_limit", "500,001"),
    ({"term_months": 37}, "term_over_limit", "37"),
    ({"holds_open_loan": True}, "open_loan_exists", "一笔"),
])
def test_refusals_state_the_fact_and_cite_the_rule(kw, code, fact):
    outcome = _assess(**kw)
    assert (outcome.status, outcome.reason_code) == ("refused", code)
    assert fact in outcome.reason and "财金〔2020〕21号" in outcome.rule


def test_limits_are_inclusive_and_placements_come_from_policy():
    assert _assess(amount_yuan=500_000, term_months=36).status == "pending_decision"
    for placement in ("复员", "转业"):
        assert _assess(placement=placement).status == "pending_decision"
