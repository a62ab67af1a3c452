"""SQLModel tables: the case lives here; Prefect only orchestrates it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from onematter.config.settings import now


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


def _ts(**kw: Any) -> Any:
    return Field(default_factory=now, sa_type=DateTime(timezone=True), **kw)


def _json(default=dict) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


# ------------------------------------------------------------------ staff


class StaffUser(SQLModel, table=True):
    """A window clerk or a supervisor who signs in to the staff page (onematter user add)."""
    __tablename__ = "staff_users"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    username: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=30)
    role: str = Field(max_length=16)               # window | supervisor
    station: str = Field(max_length=60)
    password_hash: str
    active: bool = True
    failed_logins: int = 0                         # since the last success
    locked_until: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_login_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: dt.datetime = _ts()


# ------------------------------------------------------------------ people and applications


class Person(SQLModel, table=True):
    __tablename__ = "persons"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    id_number: str = Field(max_length=18, unique=True, index=True)
    name: str = Field(max_length=30)
    mobile: str = Field(max_length=11)
    birth_date: dt.date
    sex: str = Field(max_length=1)
    created_at: dt.datetime = _ts()


class Application(SQLModel, table=True):
    __tablename__ = "applications"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    application_no: str = Field(max_length=32, unique=True, index=True)
    idempotency_key: str = Field(max_length=128, unique=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    # equals person_id while the application is open: a unique column enforces
    # "at most one open application per person" in the database, also under concurrency.
    open_person_id: uuid.UUID | None = Field(default=None, unique=True)
    status: str = Field(default="received", max_length=24)
    application_date: dt.date
    deadline: dt.date
    town: str = Field(max_length=16)
    staff_name: str = Field(max_length=30)
    station: str = Field(max_length=60)
    policy_version: str = Field(max_length=32)
    form: dict = _json()
    flow_run_id: str | None = Field(default=None, max_length=64)
    submitted_at: dt.datetime = _ts()
    completed_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class MatterCase(SQLModel, table=True):
    __tablename__ = "matter_cases"
    __table_args__ = (UniqueConstraint("application_id", "matter"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    matter: str = Field(max_length=24)
    status: str = Field(default="pending", max_length=24)
    reason_code: str | None = Field(default=None, max_length=48)
    reason: str | None = None
    rule: str | None = None
    request: dict = _json()
    details: dict = _json()
    deadline: dt.date
    policy_version: str = Field(max_length=32)
    decided_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Event(SQLModel, table=True):
    """Append-only log of every status change."""
    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    entity: str = Field(max_length=40)          # application | matter:<name>
    entity_id: uuid.UUID
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str = Field(max_length=24)
    actor: str = Field(max_length=60)
    flow_run_id: str | None = Field(default=None, max_length=64)
    note: str | None = None
    at: dt.datetime = _ts()


class DailySerial(SQLModel, table=True):
    __tablename__ = "daily_serials"
    prefix: str = Field(primary_key=True, max_length=16)
    day: dt.date = Field(primary_key=True)
    last: int = 0


# ------------------------------------------------------------------ catalogue


class Course(SQLModel, table=True):
    __tablename__ = "courses"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    trade: str
    mode: str = Field(max_length=8)
    base: str
    start: dt.date
    end: dt.date
    hours: int
    capacity: int


class Programme(SQLModel, table=True):
    __tablename__ = "programmes"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    level: str = Field(max_length=8)
    school: str
    major: str
    intake: str
    opens: dt.date
    closes: dt.date


class Posting(SQLModel, table=True):
    __tablename__ = "postings"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
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


class Fair(SQLModel, table=True):
    __tablename__ = "fairs"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str
    starts_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    venue: str | None = None
    online_url: str | None = None
    capacity_offline: int = 0
    capacity_online: int = 0
    employers: list = _json(list)


class Bank(SQLModel, table=True):
    """A partner bank of the startup loan (catalogue list `banks`)."""
    __tablename__ = "banks"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=60)
    branch: str = Field(max_length=100)
    contact: str = Field(max_length=100)


# ------------------------------------------------------------------ matter records


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    course_id: uuid.UUID = Field(foreign_key="courses.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    status: str = Field(max_length=16)                 # enrolled | waitlisted | completed | withdrawn
    waitlist_position: int | None = None
    created_at: dt.datetime = _ts()


class EducationRegistration(SQLModel, table=True):
    __tablename__ = "education_registrations"
    __table_args__ = (UniqueConstraint("programme_id", "person_id"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    programme_id: uuid.UUID = Field(foreign_key="programmes.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    status: str = Field(default="registered", max_length=16)
    created_at: dt.datetime = _ts()


class JobSubscription(SQLModel, table=True):
    __tablename__ = "job_subscriptions"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", unique=True)
    active: bool = True
    education: str = Field(max_length=8)
    categories: list = _json(list)
    towns: list = _json(list)
    min_salary: int | None = None
    created_at: dt.datetime = _ts()


class Push(SQLModel, table=True):
    __tablename__ = "pushes"
    __table_args__ = (UniqueConstraint("person_id", "posting_id"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    posting_id: uuid.UUID = Field(foreign_key="postings.id")
    matter_case_id: uuid.UUID | None = Field(default=None, foreign_key="matter_cases.id")
    rank: int
    channel: str = Field(default="intake", max_length=16)      # intake | digest
    pushed_at: dt.datetime = _ts()


class FairRegistration(SQLModel, table=True):
    __tablename__ = "fair_registrations"
    __table_args__ = (UniqueConstraint("fair_id", "person_id"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    fair_id: uuid.UUID = Field(foreign_key="fairs.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", index=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    mode: str = Field(max_length=4)
    registration_code: str = Field(max_length=48, unique=True)
    status: str = Field(max_length=16)                 # registered | waitlisted
    waitlist_position: int | None = None
    created_at: dt.datetime = _ts()


class IncentiveClaim(SQLModel, table=True):
    __tablename__ = "incentive_claims"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
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
    created_at: dt.datetime = _ts()


class IncentiveYear(SQLModel, table=True):
    __tablename__ = "incentive_years"
    __table_args__ = (UniqueConstraint("claim_id", "year"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    claim_id: uuid.UUID = Field(foreign_key="incentive_claims.id", index=True)
    year: int
    months: int
    amount_yuan: int
    status: str = Field(default="scheduled", max_length=16)   # scheduled | verified | stopped


class LoanClaim(SQLModel, table=True):
    """A startup-loan application that passed the rules: what the supervisor decides on."""
    __tablename__ = "loan_claims"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
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
    created_at: dt.datetime = _ts()


class LoanSubsidyYear(SQLModel, table=True):
    __tablename__ = "loan_subsidy_years"
    __table_args__ = (UniqueConstraint("claim_id", "year"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    claim_id: uuid.UUID = Field(foreign_key="loan_claims.id", index=True)
    year: int
    months: int
    amount_yuan: int


class Decision(SQLModel, table=True):
    """A supervisor's decision on a case; one per case (the first one wins)."""
    __tablename__ = "decisions"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    approved: bool
    decided_by: str = Field(max_length=30)
    comment: str | None = None
    source: str = Field(max_length=16)          # cli | prefect-ui
    decided_at: dt.datetime = _ts()


# ------------------------------------------------------------------ documents and outbox


class Document(SQLModel, table=True):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("application_id", "doc_key"),)
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    doc_key: str = Field(max_length=48)
    kind: str = Field(max_length=32)
    title: str
    document_no: str = Field(max_length=48, unique=True)
    template: str
    context_sha256: str = Field(max_length=64)
    context: dict = _json()             # what was rendered: the packet re-renders from it, identically
    verification_code: str = Field(max_length=16)
    pdf_sha256: str = Field(max_length=64, index=True)
    path: str
    pages: int
    size_bytes: int
    created_at: dt.datetime = _ts()


class NoticeNumber(SQLModel, table=True):
    """The register of 文号: one serial per year for every 通知书/告知书, allocated once, before the
    notice is rendered (so a re-render prints the same number)."""
    __tablename__ = "notice_numbers"
    __table_args__ = (UniqueConstraint("year", "serial"), UniqueConstraint("application_id", "doc_key"))
    id: int | None = Field(default=None, primary_key=True)
    year: int
    serial: int
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    doc_key: str = Field(max_length=48)
    created_at: dt.datetime = _ts()


class Notification(SQLModel, table=True):
    """Outbox: a side effect is a row first (unique key: per person, kind, subject, day), delivered
    later by the delivery flow; its id is the idempotency key the channel receives."""
    __tablename__ = "notifications"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    application_id: uuid.UUID | None = Field(default=None, foreign_key="applications.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="persons.id")
    kind: str = Field(max_length=32)
    payload: dict = _json()
    # pending → sent | failed (after the last attempt) | suppressed (opted out); scheduled: not yet due
    status: str = Field(default="pending", max_length=16, index=True)
    audience: str = Field(default="veteran", max_length=8)     # veteran (SMS) | staff (bots, e-mail)
    body: str | None = None                                    # the text, rendered when delivered
    urgent: bool = False                                       # may go out inside quiet hours
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = None
    segments: int = 1                                          # SMS segments (70 characters each)
    created_at: dt.datetime = _ts()
    sent_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class OptOut(SQLModel, table=True):
    """A person's 退订: no more messages to them (recorded with its source)."""
    __tablename__ = "opt_outs"
    id: int | None = Field(default=None, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", unique=True)
    source: str = Field(max_length=16)              # cli | web | sms (a TD reply)
    at: dt.datetime = _ts()


class StaffTask(SQLModel, table=True):
    """Work a follow-up gives a person (fair outcome, training completion, 回访, re-verification):
    one per (kind, subject, due day), with its result when done."""
    __tablename__ = "staff_tasks"
    id: uuid.UUID = Field(default_factory=_uuid, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    kind: str = Field(max_length=32)
    title: str
    application_id: uuid.UUID | None = Field(default=None, foreign_key="applications.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="persons.id")
    station: str = Field(max_length=60)
    subject: dict = _json()
    due_on: dt.date
    status: str = Field(default="open", max_length=16, index=True)    # open | done
    result: dict = _json()
    done_by: str | None = Field(default=None, max_length=60)
    done_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    escalated_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: dt.datetime = _ts()


class WorkItem(SQLModel, table=True):
    """The served stack's queue: one row per application with work to do, taken by a warm worker
    under a lease it renews while it runs; a lease that runs out (the worker died) lets another
    worker take the application up. Several machines share it through PostgreSQL."""
    __tablename__ = "work_items"
    id: int | None = Field(default=None, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", unique=True)
    state: str = Field(default="queued", max_length=8, index=True)    # queued | running | done | failed
    available_at: dt.datetime = _ts()
    claimed_by: str | None = Field(default=None, max_length=80)
    lease_until: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attempts: int = 0
    flow_run_id: str | None = Field(default=None, max_length=40)
    last_error: str | None = None
    enqueued_at: dt.datetime = _ts()
    finished_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
