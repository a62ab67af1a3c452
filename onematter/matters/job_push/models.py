"""就业信息推送's tables: the posting catalogue, each person's subscription and every push.
Registered in SQLModel's metadata with the matter: the registry (`matters.all_specs()`) imports
every matter package, and the package imports this module. Names and columns as migrated."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from onematter.case.models import json_field, new_id, timestamp


class Posting(SQLModel, table=True):
    __tablename__ = "postings"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    employer: str
    employer_code: str = Field(max_length=18)
    title: str
    category: str
    town: str
    salary_min: int
    salary_max: int
    education_min: str = Field(max_length=8)
    headcount: int
    veteran_preferred: bool = False
    valid_until: dt.date
    contact: str | None = Field(default=None, max_length=100)     # 联系人及电话, printed on the job list


class JobSubscription(SQLModel, table=True):
    __tablename__ = "job_subscriptions"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", unique=True)
    active: bool = True
    education: str = Field(max_length=8)
    categories: list = json_field(list)
    towns: list = json_field(list)
    min_salary: int | None = None
    created_at: dt.datetime = timestamp()


class Push(SQLModel, table=True):
    __tablename__ = "pushes"
    __table_args__ = (UniqueConstraint("person_id", "posting_id"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    posting_id: uuid.UUID = Field(foreign_key="postings.id")
    matter_case_id: uuid.UUID | None = Field(default=None, foreign_key="matter_cases.id")
    rank: int
    channel: str = Field(default="intake", max_length=16)      # intake | digest
    pushed_at: dt.datetime = timestamp()
