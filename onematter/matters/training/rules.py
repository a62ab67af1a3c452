"""职业技能培训: the rule as a pure function over plain values and policy data (domain.md §2.1)."""

from __future__ import annotations

import datetime as dt

from onematter.rules import Outcome, refused
from onematter.rules.dates import cn_date


def assess_training(
    *, start: dt.date, capacity: int, enrolled: int, waitlisted: int, overlapping: bool,
    today: dt.date, citation: str,
) -> Outcome:
    if today >= start:
        return refused("enrolment_closed", f"该课程已于{cn_date(start)}开班，报名已截止。", citation)
    if overlapping:
        return refused("overlapping_enrolment", "您已报名的另一门培训课程与该课程时间重叠，同一时间只能参加一门培训。", citation)
    if enrolled < capacity:
        return Outcome(status="enrolled")
    return Outcome(status="waitlisted", details={"waitlist_position": waitlisted + 1})
