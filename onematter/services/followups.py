"""Rehearsing the follow-ups: everything due on a day, or several, run in-process at the hours the
schedules would."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from onematter.casework.schedule import run_day


def run(*, first: dt.date, days: int = 1, each: Callable[[dt.date], None] | None = None) -> dict:
    """Run `days` days from `first` (`each` is told after every day): {"days": [{"day", counts…}],
    "totals": {kind: n}}."""
    totals: dict[str, int] = {}
    per_day = []
    for i in range(days):
        current = first + dt.timedelta(days=i)
        counts = run_day(current)
        per_day.append({"day": current.isoformat(), **counts})
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        if each:
            each(current)
    return {"days": per_day, "totals": totals}
