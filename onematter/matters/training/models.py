"""职业技能培训's tables: the course catalogue and each person's enrolment.
Registered in SQLModel's metadata with the matter: the registry (`matters.all_specs()`) imports
every matter package, and the package imports this module. Names and columns as migrated."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from onematter.case.models import new_id, timestamp


class Course(SQLModel, table=True):
    __tablename__ = "courses"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    trade: str
    mode: str = Field(max_length=8)
    base: str
    start: dt.date
    end: dt.date
    hours: int
    capacity: int


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    course_id: uuid.UUID = Field(foreign_key="courses.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    status: str = Field(max_length=16)                 # enrolled | waitlisted | completed | withdrawn
    waitlist_position: int | None = None
    created_at: dt.datetime = timestamp()
