"""学历教育提升's tables: the programme catalogue and each registration.
Registered in SQLModel's metadata with the matter: the registry (`matters.all_specs()`) imports
every matter package, and the package imports this module. Names and columns as migrated."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from onematter.case.models import new_id, timestamp


class Programme(SQLModel, table=True):
    __tablename__ = "programmes"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    level: str = Field(max_length=8)
    school: str
    major: str
    intake: str
    opens: dt.date
    closes: dt.date


class EducationRegistration(SQLModel, table=True):
    __tablename__ = "education_registrations"
    __table_args__ = (UniqueConstraint("programme_id", "person_id"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    programme_id: uuid.UUID = Field(foreign_key="programmes.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    status: str = Field(default="registered", max_length=16)
    created_at: dt.datetime = timestamp()
