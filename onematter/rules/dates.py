"""Date arithmetic the rules share: Chinese dates, months counted from year 0, whole years, and
a date as a clerk types it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata


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


_TYPED_DATE = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))$")


def parse_typed_date(value: str) -> dt.date | None:
    """A date as a clerk types it — 2024-09-01, 20240901, 2024-9-1, 2024/09/01, 2024.9.1,
    2024年9月1日 (full-width digits too) — or None when it is none of these or no real day."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    m = _TYPED_DATE.match(text)
    if not m:
        return None
    year, month, day = (m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5))
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
