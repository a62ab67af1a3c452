"""专场招聘会's tables: the fair catalogue and each registration.
Registered in SQLModel's metadata with the matter: the registry (`matters.all_specs()`) imports
every matter package, and the package imports this module. Names and columns as migrated."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from onematter.case.models import json_field, new_id, timestamp


class Fair(SQLModel, table=True):
    __tablename__ = "fairs"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str
    starts_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    venue: str | None = None
    online_url: str | None = None
    capacity_offline: int = 0
    capacity_online: int = 0
    employers: list = json_field(list)


class FairRegistration(SQLModel, table=True):
    __tablename__ = "fair_registrations"
    __table_args__ = (UniqueConstraint("fair_id", "person_id"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    fair_id: uuid.UUID = Field(foreign_key="fairs.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    mode: str = Field(max_length=4)
    registration_code: str = Field(max_length=48, unique=True)
    status: str = Field(max_length=16)                 # registered | waitlisted
    waitlist_position: int | None = None
    created_at: dt.datetime = timestamp()
