"""Policy data: versioned YAML loaded into typed models."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from onematter.settings import get_settings

MATTERS = ("training", "education", "job_push", "job_fair", "employer_incentive")


class IncentivePolicy(BaseModel):
    rate_yuan: int
    base_rate_yuan: int = 6000
    months: int = 36
    period_start: dt.date
    period_end: dt.date
    accepted_code_prefixes: list[str]
    citation: str


class YearHolidays(BaseModel):
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)


class Policy(BaseModel):
    version: str
    issued: dt.date
    application_no_prefix: str
    towns: list[str]
    deadlines_working_days: dict[str, int]
    job_push_limit: int
    incentive: IncentivePolicy
    citations: dict[str, str]
    holidays: dict[int, YearHolidays] = Field(default_factory=dict)


DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.yaml")


@lru_cache
def load_policy(path: Path | None = None) -> Policy:
    path = path or get_settings().policy_file or DEFAULT_POLICY_FILE
    with open(path, encoding="utf-8") as fh:
        return Policy.model_validate(yaml.safe_load(fh))
