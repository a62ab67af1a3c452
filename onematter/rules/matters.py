"""Each matter's rule as a pure function over plain values and policy data (domain.md §2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from typing import Any

from onematter.rules import Outcome, education_rank, refused

def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------- 2.1 vocational training


def assess_training(
    *, start: dt.date, capacity: int, enrolled: int, waitlisted: int, overlapping: bool,
    today: dt.date, citation: str,
) -> Outcome:
    if today >= start:
        return refused("enrolment_closed", f"该课程已于{_cn_date(start)}开班，报名已截止。", citation)
    if overlapping:
        return refused("overlapping_enrolment", "您已报名的另一门培训课程与该课程时间重叠，同一时间只能参加一门培训。", citation)
    if enrolled < capacity:
        return Outcome(status="enrolled")
    return Outcome(status="waitlisted", details={"waitlist_position": waitlisted + 1})


# ---------------------------------------------------------------- 2.2 academic education

SOLDIER_CATEGORIES = ("义务兵", "军士")


def assess_education(
    *, category: str, education: str, level: str, opens: dt.date, closes: dt.date,
    today: dt.date, citation: str,
) -> Outcome:
    if category not in SOLDIER_CATEGORIES:
        return refused("not_veteran_soldier", f"您的退役类别为{category}。学历提升教育面向退役士兵（义务兵、军士），{category}不在此项范围内。", citation)
    if education_rank(education) >= education_rank(level):
        return refused("already_holds_level", f"您已具有{education}学历，不能再报名{level}层次。", citation)
    needed = "高中" if level == "大专" else "大专"
    if education_rank(education) < education_rank(needed):
        need_text = "高中（含中专、职高、技校）" if level == "大专" else "大专"
        return refused("education_prerequisite", f"报名{level}层次需具有{need_text}及以上学历，您的学历为{education}。", citation)
    if today < opens:
        return refused("window_not_open", f"该专业报名将于{_cn_date(opens)}开始，申请之日尚未开始报名。", citation)
    if today > closes:
        return refused("window_closed", f"该专业报名已于{_cn_date(closes)}截止。", citation)
    return Outcome(status="registered")


# ---------------------------------------------------------------- 2.3 job information push


@dataclass(frozen=True)
class PostingView:
    code: str
    category: str
    town: str
    salary_max: int
    education_min: str
    veteran_preferred: bool
    valid_until: dt.date


def posting_matches(
    p: PostingView, *, education: str, categories: list[str], towns: list[str],
    min_salary: int | None, today: dt.date,
) -> bool:
    return (
        p.valid_until >= today
        and education_rank(education) >= education_rank(p.education_min)
        and (not categories or p.category in categories)
        and (not towns or p.town in towns)
        and (min_salary is None or p.salary_max >= min_salary)
    )


def rank_postings(postings: list[PostingView]) -> list[PostingView]:
    """Veteran-preferred first, then higher salary maximum, then earlier valid-until."""
    return sorted(postings, key=lambda p: (not p.veteran_preferred, -p.salary_max, p.valid_until, p.code))


def match_postings(
    postings: list[PostingView], *, education: str, categories: list[str], towns: list[str],
    min_salary: int | None, today: dt.date, limit: int,
) -> list[PostingView]:
    found = [p for p in postings if posting_matches(
        p, education=education, categories=categories, towns=towns, min_salary=min_salary, today=today)]
    return rank_postings(found)[:limit]


# ---------------------------------------------------------------- 2.4 job fairs


@dataclass(frozen=True)
class FairView:
    code: str
    starts_at: dt.datetime
    capacity: int          # for the requested attendance mode; 0 = mode not offered
    registered: int
    waitlisted: int


def assess_fair(
    fairs: list[FairView], *, requested: str | None, now: dt.datetime, citation: str,
) -> tuple[Outcome, str | None]:
    """Returns the outcome and the fair code it concerns."""
    if requested:
        fair = next(f for f in fairs if f.code == requested)
        if fair.starts_at <= now:
            return refused("fair_started", f"该场招聘会于{_cn_date(fair.starts_at.date())}{fair.starts_at:%H:%M}开始，报名已截止。", citation), fair.code
        if fair.capacity == 0:
            return refused("mode_unavailable", "该场招聘会不提供所选参会方式（线下/线上），请改选另一种方式。", citation), fair.code
        return _seat(fair), fair.code
    upcoming = sorted((f for f in fairs if f.starts_at > now and f.capacity > 0), key=lambda f: (f.starts_at, f.code))
    if not upcoming:
        return refused("no_upcoming_fair", "近期没有可报名的退役军人专场招聘会，新场次发布后将通知您。", citation), None
    with_room = [f for f in upcoming if f.registered < f.capacity]
    fair = with_room[0] if with_room else upcoming[0]
    return _seat(fair), fair.code


def _seat(fair: FairView) -> Outcome:
    if fair.registered < fair.capacity:
        return Outcome(status="registered")
    return Outcome(status="waitlisted", details={"waitlist_position": fair.waitlisted + 1})


# ---------------------------------------------------------------- 2.5 employer incentive


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


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
                       f"您的退役类别为{category}，安置方式为{placement}。该政策适用于安置方式为自主就业的退役士兵（义务兵、军士）。", cite)
    if not any(employer_code.startswith(p) for p in inc.accepted_code_prefixes):
        return refused("not_enterprise", f"用人单位的统一社会信用代码为{employer_code}，表明其不是企业；该政策仅适用于企业。", cite)
    if contract_end < add_years(contract_start, 1) - dt.timedelta(days=1):
        return refused("contract_too_short", f"劳动合同期限为{_cn_date(contract_start)}至{_cn_date(contract_end)}，不足1年。", cite)
    if month_index(social_insurance_start) > month_index(today):
        return refused("social_insurance_not_started", f"社会保险缴纳起始月份为{social_insurance_start.year}年{social_insurance_start.month}月，申请时企业尚未为其缴纳社会保险。", cite)
    start = max(contract_start.replace(day=1), social_insurance_start.replace(day=1))
    if not (inc.period_start <= start <= inc.period_end):
        return refused("outside_policy_period",
                       f"签订劳动合同并缴纳社会保险的起始月份为{start.year}年{start.month}月，不在政策执行期"
                       f"{_cn_date(inc.period_start)}至{_cn_date(inc.period_end)}内。", cite)
    schedule = incentive_schedule(rate_yuan=inc.rate_yuan, start=start, contract_end=contract_end, months=inc.months)
    return Outcome(status="pending_decision", details={
        "rate_yuan": inc.rate_yuan,
        "window_start": f"{start:%Y-%m}",
        "schedule": schedule,
        "total_yuan": sum(row["amount_yuan"] for row in schedule),
    })


# ---------------------------------------------------------------- 2.6 startup loan with interest subsidy



def last_month(start: dt.date, months: int) -> dt.date:
    """The first day of the term's last month (a term of `months` months from `start`'s month)."""
    index = month_index(start) + months - 1
    return dt.date(index // 12, index % 12 + 1, 1)


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
        "benchmark": f"{policy.benchmark.name}，{_cn_date(policy.benchmark.as_of)}公布",
        "subsidy_schedule": schedule,
        "subsidy_total_yuan": sum(row["amount_yuan"] for row in schedule),
    })
