"""Working days: chinese-calendar where it knows the year, the policy's holiday table next,
weekends only last. Never raises for an unknown year."""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from onematter.policy import Policy


def is_workday(day: dt.date, policy: Policy) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        pass
    table = policy.holidays.get(day.year)
    if table is not None:
        if day in table.workdays:
            return True
        if day in table.holidays:
            return False
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int, policy: Policy) -> dt.date:
    """The date `days` working days after `start` (the start day itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_workday(current, policy):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date, policy: Policy) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -working_days_between(end, start, policy)
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        count += is_workday(current, policy)
    return count
