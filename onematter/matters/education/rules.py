"""学历教育提升: the rule as a pure function over plain values and policy data (domain.md §2.2)."""

from __future__ import annotations

import datetime as dt

from onematter.rules import Outcome, refused, education_rank, SOLDIER_CATEGORIES
from onematter.rules.dates import cn_date


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
        return refused("window_not_open", f"该专业报名将于{cn_date(opens)}开始，申请之日尚未开始报名。", citation)
    if today > closes:
        return refused("window_closed", f"该专业报名已于{cn_date(closes)}截止。", citation)
    return Outcome(status="registered")
