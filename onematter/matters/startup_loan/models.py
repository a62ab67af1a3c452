"""创业担保贷款贴息's tables: the partner banks, the claim a supervisor decides and its subsidy years.
Registered in SQLModel's metadata with the matter: the registry (`matters.all_specs()`) imports
every matter package, and the package imports this module. Names and columns as migrated."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from onematter.case.models import new_id, timestamp


class Bank(SQLModel, table=True):
    """A partner bank of the startup loan (catalogue list `banks`)."""
    __tablename__ = "banks"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=60)
    branch: str = Field(max_length=100)
    contact: str = Field(max_length=100)


class LoanClaim(SQLModel, table=True):
    """A startup-loan application that passed the rules: what the supervisor decides on."""
    __tablename__ = "loan_claims"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    bank_id: uuid.UUID = Field(foreign_key="banks.id")
    business_name: str = Field(max_length=100)
    business_code: str | None = Field(default=None, max_length=18)
    business_type: str = Field(max_length=30)
    amount_yuan: int
    term_months: int
    loan_start: dt.date                 # first month of the term
    loan_end: dt.date                   # first day of the term's last month
    rate_percent: str = Field(max_length=12)    # the benchmark rate applied, as decided (decimal text)
    subsidy_total_yuan: int
    created_at: dt.datetime = timestamp()


class LoanSubsidyYear(SQLModel, table=True):
    __tablename__ = "loan_subsidy_years"
    __table_args__ = (UniqueConstraint("claim_id", "year"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    claim_id: uuid.UUID = Field(foreign_key="loan_claims.id", index=True)
    year: int
    months: int
    amount_yuan: int
