"""Date arithmetic the rules share: Chinese dates, months counted from year 0, whole years."""

from __future__ import annotations

import datetime as dt


def cn_date(day: dt.date) -> str:
    """2026年11月30日 (no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def last_month(start: dt.date, months: int) -> dt.date:
    """The first day of the term's last month (a term of `months` months from `start`'s month)."""
    index = month_index(start) + months - 1
    return dt.date(index // 12, index % 12 + 1, 1)
