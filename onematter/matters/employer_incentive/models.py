"""企业吸纳优惠's tables: the claim a supervisor decides and its year-by-year schedule.
Registered in SQLModel's metadata with the matter: the registry (`matters.all_specs()`) imports
every matter package, and the package imports this module. Names and columns as migrated."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from onematter.case.models import new_id, timestamp


class IncentiveClaim(SQLModel, table=True):
    __tablename__ = "incentive_claims"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    employer_name: str
    employer_code: str = Field(max_length=18)
    position: str
    contract_start: dt.date
    contract_end: dt.date
    social_insurance_start: dt.date
    rate_yuan: int
    window_start: dt.date
    total_yuan: int
    created_at: dt.datetime = timestamp()


class IncentiveYear(SQLModel, table=True):
    __tablename__ = "incentive_years"
    __table_args__ = (UniqueConstraint("claim_id", "year"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    claim_id: uuid.UUID = Field(foreign_key="incentive_claims.id", index=True)
    year: int
    months: int
    amount_yuan: int
    status: str = Field(default="scheduled", max_length=16)   # scheduled | verified | stopped
