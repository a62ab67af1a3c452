"""就业信息推送: the rule as a pure function over plain values and policy data (domain.md §2.3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from onematter.rules import education_rank


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
