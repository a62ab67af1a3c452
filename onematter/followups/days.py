"""The days follow-ups fall on: the working day before an event, the first working day of a year,
the start of a day in Asia/Shanghai (rows written by a follow-up carry its scheduled hour)."""

from __future__ import annotations

import datetime as dt

from onematter.config.settings import TZ
from onematter.policy import load_policy
from onematter.rules.workdays import is_workday


def previous_working_day(day: dt.date) -> dt.date:
    policy = load_policy()
    current = day - dt.timedelta(days=1)
    while not is_workday(current, policy):
        current -= dt.timedelta(days=1)
    return current


def the_day_before(day: dt.date, starts: dt.date) -> bool:
    """`day` is the working day before `starts` (the day reminders go out)."""
    return starts > day and previous_working_day(starts) == day


def first_working_day_of_january(day: dt.date) -> bool:
    if day.month != 1:
        return False
    policy = load_policy()
    first = dt.date(day.year, 1, 1)
    while not is_workday(first, policy):
        first += dt.timedelta(days=1)
    return day == first


def start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in Asia/Shanghai."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=TZ)
