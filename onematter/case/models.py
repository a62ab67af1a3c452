"""SQLModel tables of the core: the case lives here; Prefect only orchestrates it. Each matter's
own tables (its catalogue and its records) are in onematter/matters/<key>/models.py, on the same
metadata; `matters.all_specs()` registers them all (migrations and tests call it first)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from onematter.config.crypto import Encrypted, EncryptedJSON, keyring
from onematter.config.settings import now
from onematter.rules.identity import mask_id


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def timestamp(**kw: Any) -> Any:
    return Field(default_factory=now, sa_type=DateTime(timezone=True), **kw)


def json_field(default=dict, *, sealed: str | None = None) -> Any:
    """A JSON column; `sealed` ("table.column"): stored encrypted (it may hold ID or mobile numbers)."""
    return Field(default_factory=default,
                 sa_column=Column(EncryptedJSON(sealed) if sealed else JSON, nullable=False))


# ------------------------------------------------------------------ staff


class StaffUser(SQLModel, table=True):
    """A window clerk or a supervisor who signs in to the staff page (onematter user add)."""
    __tablename__ = "staff_users"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    username: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=30)
    role: str = Field(max_length=16)               # window | supervisor
    station: str = Field(max_length=60)
    password_hash: str
    active: bool = True
    failed_logins: int = 0                         # since the last success
    locked_until: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_login_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: dt.datetime = timestamp()


# ------------------------------------------------------------------ people and applications


class Person(SQLModel, table=True):
    """The ID and mobile numbers are stored encrypted (columns id_cipher, mobile_cipher) and found
    by their keyed hashes (id_hash, mobile_hash: `services.queries.person_by_id_number`); the
    masked ID (330482********1234) is kept plain for lists and the last-four search. All three are
    set from the numbers on every write (`_seal_person`). After retention (domain.md §1.5) the
    numbers are erased: NULL."""
    __tablename__ = "persons"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    id_number: str | None = Field(default=None, sa_column=Column("id_cipher", Encrypted("persons.id_number")))
    id_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    id_masked: str | None = Field(default=None, max_length=18)
    name: str = Field(max_length=30)
    mobile: str | None = Field(default=None, sa_column=Column("mobile_cipher", Encrypted("persons.mobile")))
    mobile_hash: str | None = Field(default=None, max_length=64, index=True)
    birth_date: dt.date
    sex: str = Field(max_length=1)
    created_at: dt.datetime = timestamp()
    anonymised_on: dt.date | None = None          # retention (domain.md §1.5): the day it ran


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _seal_person(_mapper, _connection, person: Person) -> None:
    ring = keyring()
    if person.id_number:                 # erased (retention): the hash stays as the caller left it
        person.id_hash, person.id_masked = ring.hash("id", person.id_number), mask_id(person.id_number)
    if person.mobile:
        person.mobile_hash = ring.hash("mobile", person.mobile)


class Application(SQLModel, table=True):
    __tablename__ = "applications"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
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
    form: dict = json_field(sealed="applications.form")
    # the window took its materials in this system (an intake with `materials`, the staff page):
    # matters missing a required one wait in 补正. False: an intake file without `materials`,
    # whose papers were checked at the window outside it (the behaviour before 补正)
    materials_tracked: bool = Field(default=False)
    flow_run_id: str | None = Field(default=None, max_length=64)
    submitted_at: dt.datetime = timestamp()
    completed_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class MatterCase(SQLModel, table=True):
    __tablename__ = "matter_cases"
    __table_args__ = (UniqueConstraint("application_id", "matter"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    matter: str = Field(max_length=24)
    status: str = Field(default="pending", max_length=24)
    # 认领 (domain.md §1.2): the supervisor who holds its decision, by name, and since when
    assignee: str | None = Field(default=None, max_length=30)
    assigned_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    reason_code: str | None = Field(default=None, max_length=48)
    reason: str | None = None
    rule: str | None = None
    request: dict = json_field()
    details: dict = json_field()
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
    at: dt.datetime = timestamp()


class Comment(SQLModel, table=True):
    """A staff member's note on a case (备注), shown on its timeline with the author; never edited."""
    __tablename__ = "case_comments"
    id: int | None = Field(default=None, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    author: str = Field(max_length=32)             # the account (username)
    author_name: str = Field(max_length=30)
    station: str = Field(max_length=60)
    text: str
    at: dt.datetime = timestamp()


class Delivery(SQLModel, table=True):
    """统一出件 (domain.md §1.3): how an application's documents reached one addressee — the
    applicant (`person`) or the enterprise (`enterprise`, the incentive's notices). Append-only:
    the newest row of an addressee is its state; `served_at` set means 已送达."""
    __tablename__ = "deliveries"
    id: int | None = Field(default=None, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    addressee: str = Field(max_length=16)          # person | enterprise
    method: str = Field(max_length=16)             # window | ems | electronic
    details: dict = json_field(sealed="deliveries.details")    # who collected / address, tracking no. / link sent
    recorded_by: str = Field(max_length=60)
    served_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    at: dt.datetime = timestamp()


class Throttle(SQLModel, table=True):
    """Wrong answers on a public page (电子送达, 办件查询), per document: after `limit` in a window
    the page refuses until the window has passed, in every process."""
    __tablename__ = "throttles"
    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    since: dt.datetime = timestamp()
    locked_until: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Rating(SQLModel, table=True):
    """好差评 (domain.md §1.4): the applicant's one rating of an application's service, bound to
    it by the 办结通知书's number and code; a 差评 opens a 整改 task for the taking station."""
    __tablename__ = "ratings"
    id: int | None = Field(default=None, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", unique=True)
    station: str = Field(max_length=60)
    level: int                                     # 5 非常满意 … 1 非常不满意
    reasons: list = json_field(list)               # 差评: 办事效率 / 服务态度 / 政策解释 / 材料要求 / 其他
    text: str = ""
    task_id: uuid.UUID | None = Field(default=None, foreign_key="staff_tasks.id")
    at: dt.datetime = timestamp()


class WebSession(SQLModel, table=True):
    """A signed-in staff session, held on the server: the cookie carries only its random id, so
    signing out ends it for every copy of the cookie, and it ends after `web_idle_minutes`
    without a request (counted from the last one)."""
    __tablename__ = "web_sessions"
    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=32, index=True)
    created_at: dt.datetime = timestamp()
    last_seen_at: dt.datetime = timestamp()
    ended_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    ended_why: str | None = Field(default=None, max_length=16)      # logout | idle | disabled


class AccessLog(SQLModel, table=True):
    """查询留痕 (domain.md §1.5): one row per display of a person's unmasked data or of a document —
    who (account, station), what (person, application, document), when, how (the page or the
    command). Append-only: the database refuses an UPDATE or DELETE (a trigger, migration 0014)."""
    __tablename__ = "access_log"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = timestamp(index=True)
    account: str = Field(max_length=40)
    station: str = Field(max_length=60)
    person_id: uuid.UUID | None = Field(default=None, index=True)
    application_id: uuid.UUID | None = Field(default=None)
    item: str | None = Field(default=None, max_length=80)        # a document's number, a scan's digest
    what: str = Field(max_length=24)                             # case | print | document | material | export | lookup
    how: str = Field(max_length=200)                             # the route with its query, or the command


class DataKeyRecord(SQLModel, table=True):
    """The data keys this database has been sealed with (never the keys themselves): the one in
    use (`current`), one being replaced while `onematter keys rotate` runs (`retiring`), those
    replaced (`retired`, refused from then on). `check` is a value only the right key gives."""
    __tablename__ = "data_keys"
    id: str = Field(primary_key=True, max_length=16)
    check: str = Field(max_length=64)
    state: str = Field(max_length=12)
    created_at: dt.datetime = timestamp()
    retired_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class DailySerial(SQLModel, table=True):
    __tablename__ = "daily_serials"
    prefix: str = Field(primary_key=True, max_length=16)
    day: dt.date = Field(primary_key=True)
    last: int = 0


class Decision(SQLModel, table=True):
    """A supervisor's decision on a case; one per case (the first one wins)."""
    __tablename__ = "decisions"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    matter_case_id: uuid.UUID = Field(foreign_key="matter_cases.id", unique=True)
    approved: bool
    decided_by: str = Field(max_length=30)
    comment: str | None = None
    source: str = Field(max_length=16)          # cli | prefect-ui
    decided_at: dt.datetime = timestamp()


class MaterialFile(SQLModel, table=True):
    """A scan of one material (一套材料, policy `materials`) presented for an application: checked
    by content, stored content-addressed under the data dir (`materials/<2 hex>/<sha256><suffix>`)."""
    __tablename__ = "material_files"
    __table_args__ = (UniqueConstraint("application_id", "item", "sha256"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    item: str = Field(max_length=40)                # the policy's material key
    sha256: str = Field(max_length=64)
    filename: str = Field(max_length=120)           # as presented (shown to staff only)
    media_type: str = Field(max_length=40)          # application/pdf | image/jpeg | image/png
    pages: int = 1
    size: int
    width: int | None = None
    height: int | None = None
    added_by: str = Field(max_length=60)
    added_at: dt.datetime = timestamp()


# ------------------------------------------------------------------ documents and outbox


class Document(SQLModel, table=True):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("application_id", "doc_key"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    doc_key: str = Field(max_length=48)
    kind: str = Field(max_length=32)
    title: str
    document_no: str = Field(max_length=48, unique=True)
    template: str
    context_sha256: str = Field(max_length=64)
    context: dict = json_field(sealed="documents.context")    # what was rendered: the packet re-renders from it, identically
    verification_code: str = Field(max_length=16)
    pdf_sha256: str = Field(max_length=64, index=True)          # the file as issued (sealed)
    content_sha256: str = Field(max_length=64, index=True)      # as rendered: the sealed file's first revision
    sealed: bool = False                                        # carries the bureau's PAdES signature
    path: str
    pages: int
    size_bytes: int
    created_at: dt.datetime = timestamp()
    # retention (domain.md §1.5): archived (the PDF moved to the archive) or deleted, and the
    # stored context erased; the row stays as the register of what was issued
    disposed: str | None = Field(default=None, max_length=12)


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
    created_at: dt.datetime = timestamp()


class Notification(SQLModel, table=True):
    """Outbox: a side effect is a row first (unique key: per person, kind, subject, day), delivered
    later by the delivery flow; its id is the idempotency key the channel receives."""
    __tablename__ = "notifications"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    application_id: uuid.UUID | None = Field(default=None, foreign_key="applications.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="persons.id")
    kind: str = Field(max_length=32)
    payload: dict = json_field(sealed="notifications.payload")
    # pending → sent | failed (after the last attempt) | suppressed (opted out); scheduled: not yet due
    status: str = Field(default="pending", max_length=16, index=True)
    audience: str = Field(default="veteran", max_length=8)     # veteran (SMS) | staff (bots, e-mail)
    body: str | None = None                                    # the text, rendered when delivered
    urgent: bool = False                                       # may go out inside quiet hours
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = None
    segments: int = 1                                          # SMS segments (70 characters each)
    created_at: dt.datetime = timestamp()
    sent_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class OptOut(SQLModel, table=True):
    """A person's 退订: no more messages to them (recorded with its source)."""
    __tablename__ = "opt_outs"
    id: int | None = Field(default=None, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="persons.id", unique=True)
    source: str = Field(max_length=16)              # cli | web | sms (a TD reply)
    at: dt.datetime = timestamp()


class StaffTask(SQLModel, table=True):
    """Work a follow-up gives a person (fair outcome, training completion, 回访, re-verification):
    one per (kind, subject, due day), with its result when done."""
    __tablename__ = "staff_tasks"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    kind: str = Field(max_length=32)
    title: str
    application_id: uuid.UUID | None = Field(default=None, foreign_key="applications.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="persons.id")
    station: str = Field(max_length=60)
    subject: dict = json_field()
    due_on: dt.date
    status: str = Field(default="open", max_length=16, index=True)    # open | done
    result: dict = json_field()
    done_by: str | None = Field(default=None, max_length=60)
    done_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    escalated_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: dt.datetime = timestamp()


class WorkItem(SQLModel, table=True):
    """The served stack's queue: one row per application with work to do, taken by a warm worker
    under a lease it renews while it runs; a lease that runs out (the worker died) lets another
    worker take the application up. Several machines share it through PostgreSQL."""
    __tablename__ = "work_items"
    id: int | None = Field(default=None, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", unique=True)
    state: str = Field(default="queued", max_length=8, index=True)    # queued | running | done | failed
    available_at: dt.datetime = timestamp()
    claimed_by: str | None = Field(default=None, max_length=80)
    lease_until: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attempts: int = 0
    flow_run_id: str | None = Field(default=None, max_length=40)
    last_error: str | None = None
    enqueued_at: dt.datetime = timestamp()
    purpose: str = Field(default="application", max_length=12, sa_column_kwargs={"server_default": "application"})
    again: str | None = Field(default=None, max_length=12)   # asked while running: run again, for this
    finished_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
