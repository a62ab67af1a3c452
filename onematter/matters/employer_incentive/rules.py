"""企业吸纳退役军人就业优惠: the rule as a pure function over plain values and policy data (domain.md §2.5)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from onematter.rules import Outcome, refused, SOLDIER_CATEGORIES
from onematter.rules.dates import cn_date, month_index, add_years


def incentive_schedule(
    *, rate_yuan: int, start: dt.date, contract_end: dt.date, months: int = 36,
) -> list[dict]:
    """Year-by-year deduction: rate ÷ 12 × months of each year inside the window that starts at
    `start`'s month, lasts `months` months and stops at the contract's last month. Whole yuan,
    rounded half up."""
    first = month_index(start)
    last = min(first + months - 1, month_index(contract_end))
    per_year: dict[int, int] = {}
    for m in range(first, last + 1):
        per_year[m // 12] = per_year.get(m // 12, 0) + 1
    return [
        {"year": year, "months": n,
         "amount_yuan": int((Decimal(rate_yuan) * n / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))}
        for year, n in sorted(per_year.items())
    ]


def assess_incentive(
    *, category: str, placement: str, contract_start: dt.date, contract_end: dt.date,
    social_insurance_start: dt.date, employer_code: str, today: dt.date, policy: Any,
) -> Outcome:
    """`policy`: the incentive policy block (rate, months, period, accepted code prefixes, citation)."""
    inc = policy
    cite = inc.citation
    if placement != "自主就业" or category not in SOLDIER_CATEGORIES:
        return refused("not_self_employed_soldier",
                       f"该退役军人的退役类别为{category}，安置方式为{placement}。该政策适用于安置方式为自主就业的退役士兵（义务兵、军士）。", cite)
    if not any(employer_code.startswith(p) for p in inc.accepted_code_prefixes):
        return refused("not_enterprise", f"用人单位的统一社会信用代码为{employer_code}，表明其不是企业；该政策仅适用于企业。", cite)
    if contract_end < add_years(contract_start, 1) - dt.timedelta(days=1):
        return refused("contract_too_short", f"劳动合同期限为{cn_date(contract_start)}至{cn_date(contract_end)}，不足1年。", cite)
    if month_index(social_insurance_start) > month_index(today):
        return refused("social_insurance_not_started", f"社会保险缴纳起始月份为{social_insurance_start.year}年{social_insurance_start.month}月，申请时企业尚未为其缴纳社会保险。", cite)
    start = max(contract_start.replace(day=1), social_insurance_start.replace(day=1))
    if not (inc.period_start <= start <= inc.period_end):
        return refused("outside_policy_period",
                       f"签订劳动合同并缴纳社会保险的起始月份为{start.year}年{start.month}月，不在政策执行期"
                       f"{cn_date(inc.period_start)}至{cn_date(inc.period_end)}内。", cite)
    schedule = incentive_schedule(rate_yuan=inc.rate_yuan, start=start, contract_end=contract_end, months=inc.months)
    return Outcome(status="pending_decision", details={
        "rate_yuan": inc.rate_yuan,
        "window_start": f"{start:%Y-%m}",
        "schedule": schedule,
        "total_yuan": sum(row["amount_yuan"] for row in schedule),
    })
