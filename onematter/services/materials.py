"""The one set of materials (一套材料): what the window takes, as policy data."""

from __future__ import annotations

from onematter import matters
from onematter.policy import load_policy


def items() -> list[dict]:
    """Every material of the policy in force, in its order: key, name, what is taken, the matters
    that need it (`all`: every application) and whether it is waived (`shared`)."""
    return [m.model_dump() for m in load_policy().materials]


def needed_by_text(needed_by: list[str]) -> str:
    """`every application` or the matters' titles, for people."""
    if "all" in needed_by:
        return "每件申请"
    return "、".join(matters.spec(k).title for k in needed_by)
