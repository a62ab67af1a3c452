"""Pure rules: eligibility, matching and amounts over policy data. No database, no Prefect."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal


@dataclass(frozen=True)
class Outcome:
    """A matter's decision: its status, and for a refusal the reason code and plain sentence."""

    status: str
    reason_code: str | None = None
    reason: str | None = None
    rule: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def with_details(self, details: dict[str, Any]) -> "Outcome":
        return replace(self, details=details)


def refused(code: str, reason: str, rule: str) -> Outcome:
    return Outcome(status="refused", reason_code=code, reason=reason, rule=rule)


EDUCATION_LEVELS = ("初中", "高中", "中专", "大专", "本科", "硕士及以上")
Education = Literal["初中", "高中", "中专", "大专", "本科", "硕士及以上"]


def education_rank(level: str) -> int:
    """初中 0 … 硕士及以上 5; 高中 and 中专 rank equal (both are upper-secondary)."""
    rank = EDUCATION_LEVELS.index(level)
    return rank - 1 if rank >= 2 else rank


SOLDIER_CATEGORIES = ("义务兵", "军士")      # 退役士兵: conscripts and NCOs
