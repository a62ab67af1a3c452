"""The incentive's policy block (`incentive` in the policy file): rate, months, period, the
credit-code prefixes of an enterprise, the citation."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from onematter.policy import load_policy

BLOCK = "incentive"


class IncentivePolicy(BaseModel):
    rate_yuan: int
    base_rate_yuan: int = 6000
    months: int = 36
    period_start: dt.date
    period_end: dt.date
    accepted_code_prefixes: list[str]
    citation: str


def incentive_policy() -> IncentivePolicy:
    """The block in force, validated."""
    return load_policy().block(BLOCK, IncentivePolicy)
