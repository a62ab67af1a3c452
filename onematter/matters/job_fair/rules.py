"""专场招聘会: the rule as a pure function over plain values and policy data (domain.md §2.4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from onematter.rules import Outcome, refused
from onematter.rules.dates import cn_date


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
            return refused("fair_started", f"该场招聘会于{cn_date(fair.starts_at.date())}{fair.starts_at:%H:%M}开始，报名已截止。", citation), fair.code
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
