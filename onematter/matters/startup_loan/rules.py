"""创业担保贷款及贴息: the rule as a pure function over plain values and policy data (domain.md §2.6)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from onematter.rules import Outcome, refused
from onematter.rules.dates import cn_date, last_month, month_index  # noqa: F401 — last_month: the handler computes the term with it


def loan_subsidy_schedule(*, amount_yuan: int, rate_percent: Decimal, start: dt.date, term_months: int) -> list[dict]:
    """Full interest at the benchmark rate, year by year over the term: amount × rate ÷ 12 × months
    of that calendar year inside the term, whole yuan, rounded half up (once, per year)."""
    first = month_index(start)
    per_year: dict[int, int] = {}
    for m in range(first, first + term_months):
        per_year[m // 12] = per_year.get(m // 12, 0) + 1
    rate = Decimal(rate_percent) / 100
    return [
        {"year": year, "months": n,
         "amount_yuan": int((Decimal(amount_yuan) * rate * n / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))}
        for year, n in sorted(per_year.items())
    ]


def assess_startup_loan(
    *, placement: str, amount_yuan: int, term_months: int, loan_start: dt.date, holds_open_loan: bool,
    policy: Any,
) -> Outcome:
    """`policy`: the startup-loan policy block (placements, limits, benchmark rate, citation)."""
    cite = policy.citation
    if placement not in policy.placements:
        return refused("placement_not_eligible",
                       f"创业担保贷款贴息面向安置方式为{'、'.join(policy.placements)}的退役军人；"
                       f"您的安置方式为{placement}，不在此项范围内。", cite)
    if amount_yuan > policy.max_amount_yuan:
        return refused("amount_over_limit", f"申请贷款金额为{amount_yuan:,}元，超过贴息贷款额度上限"
                                            f"{policy.max_amount_yuan:,}元。", cite)
    if term_months > policy.max_term_months:
        return refused("term_over_limit", f"申请贷款期限为{term_months}个月，超过贴息期限上限"
                                          f"{policy.max_term_months}个月。", cite)
    if holds_open_loan:
        return refused("open_loan_exists", "您已有一笔正在审核或贴息期内的创业担保贷款，同一时间只能享受一笔贷款贴息。", cite)
    rate = policy.benchmark.rate_percent
    schedule = loan_subsidy_schedule(amount_yuan=amount_yuan, rate_percent=rate, start=loan_start,
                                     term_months=term_months)
    return Outcome(status="pending_decision", details={
        "rate_percent": str(rate),
        "benchmark": f"{policy.benchmark.name}，{cn_date(policy.benchmark.as_of)}公布",
        "subsidy_schedule": schedule,
        "subsidy_total_yuan": sum(row["amount_yuan"] for row in schedule),
    })
