"""The served stack's queue of applications to process, in our own database.

A submission writes a row (`enqueue`); a warm worker (`onematter worker`) takes one (`claim`)
under a lease it renews while the application's flow runs in its process, and marks it done. A
worker that dies (SIGKILL, a lost machine) stops renewing: once its lease runs out, the next
`claim` by any worker takes the application up again, and the flow — idempotent by our unique
keys — finishes it without doing anything twice. On PostgreSQL several workers on several
machines claim with `FOR UPDATE SKIP LOCKED`; on SQLite the write lock (`BEGIN IMMEDIATE`) does
the same on one machine."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from onematter.config.db import session_scope
from onematter.case.models import WorkItem
from onematter.config.settings import local, now

APPLICATION, DOCUMENTS = "application", "documents"   # what a row asks: the whole flow, or the documents due
MAX_ATTEMPTS = 5               # then `failed`: the sweeper and `onematter resume` take it up
BACKOFF_SECONDS = (2, 10, 30, 60)


@dataclass
class Claim:
    item_id: int
    application_id: uuid.UUID
    attempt: int
    taken_from: str | None          # the worker whose lease ran out, when this is a take-over
    lost_run_id: str | None         # that worker's flow run (to be marked Crashed)
    purpose: str = APPLICATION


def _wider(a: str | None, b: str | None) -> str | None:
    """Two requests as one: the combined-application flow does everything the documents flow does."""
    return APPLICATION if APPLICATION in (a, b) else (a or b)


def enqueue(session: Session, application_id: uuid.UUID, purpose: str = APPLICATION) -> bool:
    """Queue an application's work (no commit): `application` (its flow) or `documents` (what a
    decision made due). Idempotent: one row per application. A queued row is due at once (the wider
    purpose kept); a running one runs again as soon as it ends (`again`: a decision taken while the
    application's run was finishing must not be missed); a finished one is queued again. True when a
    run was queued now or for after the running one."""
    item = session.exec(select(WorkItem).where(WorkItem.application_id == application_id).with_for_update()
                        .execution_options(populate_existing=True)).first()
    if item is None:
        try:
            with session.begin_nested():
                session.add(WorkItem(application_id=application_id, purpose=purpose))
            return True
        except IntegrityError:          # queued at the same moment by another submission
            return False
    if item.state == "running":
        item.again = _wider(item.again, purpose)
        return True
    if item.state == "queued":             # waiting out a pause after an error: someone asks now
        item.available_at = min(local(item.available_at), now())
        item.purpose = _wider(item.purpose, purpose)
        return False
    item.state, item.available_at, item.attempts, item.last_error = "queued", now(), 0, None
    item.claimed_by = item.lease_until = item.finished_at = item.again = None
    item.purpose = purpose
    return True


def claim(worker: str, lease_seconds: float) -> Claim | None:
    """Take the oldest application that is due, or one whose worker's lease ran out."""
    at = now()
    with session_scope() as session:
        query = (select(WorkItem)
                 .where(or_((WorkItem.state == "queued") & (WorkItem.available_at <= at),
                            (WorkItem.state == "running") & (WorkItem.lease_until < at)))
                 .order_by(WorkItem.available_at, WorkItem.id).limit(1))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        item = session.exec(query).first()
        if item is None:
            return None
        taken_from = item.claimed_by if item.state == "running" else None
        lost_run = item.flow_run_id if taken_from else None
        if taken_from and item.again:        # the lost run's work and what was asked meanwhile, in one
            item.purpose, item.again = _wider(item.purpose, item.again), None
        item.state, item.claimed_by = "running", worker
        item.lease_until = at + dt.timedelta(seconds=lease_seconds)
        item.attempts += 1
        item.flow_run_id = None
        return Claim(item.id, item.application_id, item.attempts, taken_from, lost_run, item.purpose)


def renew(worker: str, item_id: int, lease_seconds: float) -> bool:
    """Extend the lease; False when the item is no longer this worker's."""
    with session_scope() as session:
        result = session.execute(update(WorkItem)
                                 .where(WorkItem.id == item_id, WorkItem.claimed_by == worker,
                                        WorkItem.state == "running")
                                 .values(lease_until=now() + dt.timedelta(seconds=lease_seconds)))
        return result.rowcount == 1


def attach_run(application_id: uuid.UUID, flow_run_id: str) -> None:
    """The flow run now working on a claimed application (marked Crashed if its worker dies)."""
    with session_scope() as session:
        session.execute(update(WorkItem).where(WorkItem.application_id == application_id,
                                               WorkItem.state == "running").values(flow_run_id=flow_run_id))


def finish(claim: Claim, worker: str, error: str | None = None) -> str:
    """Record the result of a claimed run: done, queued again after a pause, or failed for good."""
    with session_scope() as session:
        item = session.get(WorkItem, claim.item_id, with_for_update=True)
        if item is None or item.claimed_by != worker or item.state != "running":
            return item.state if item else "gone"      # taken over meanwhile: the other worker decides
        item.lease_until, item.last_error = None, error
        if item.again:                      # asked for while this run went on: due at once
            item.state, item.purpose, item.again = "queued", _wider(item.purpose, item.again) if error else item.again, None
            item.available_at, item.attempts, item.claimed_by = now(), 0, None
        elif error is None:
            item.state, item.finished_at = "done", now()
        elif item.attempts >= MAX_ATTEMPTS:
            item.state, item.finished_at = "failed", now()
        else:
            item.state = "queued"
            item.available_at = now() + dt.timedelta(seconds=BACKOFF_SECONDS[min(item.attempts, len(BACKOFF_SECONDS)) - 1])
        return item.state


def live(session: Session, application_id: uuid.UUID) -> bool:
    """A worker has it in hand (queued, or running under a lease that has not run out)."""
    item = session.exec(select(WorkItem).where(WorkItem.application_id == application_id)).first()
    return bool(item and (item.state == "queued" or (item.state == "running" and item.lease_until
                                                      and local(item.lease_until) >= now())))


class NotProcessed(Exception):
    """The queue did not finish an application in time, or gave up on it."""


def wait_until_done(application_id: uuid.UUID, *, timeout: float = 600, poll: float = 0.2) -> None:
    """Block until the application's work item is done (a submitter that waits, as the CLI does)."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(readonly=True) as session:
            item = session.exec(select(WorkItem).where(WorkItem.application_id == application_id)).first()
            state, error = (item.state, item.last_error) if item else ("gone", None)
        if state == "done":
            return
        if state == "failed":
            raise NotProcessed(f"办理多次出错后已停止：{error or '原因不明'}")
        if time.monotonic() > deadline:
            raise NotProcessed(f"{timeout:.0f} 秒内没有办理完成（当前：{ {'queued': '排队中', 'running': '办理中'}.get(state, state)}）；"
                               "请确认 onematter serve 或 onematter worker 在运行")
        time.sleep(poll)


def release(claim: Claim, worker: str) -> None:
    """A worker stopped (Ctrl-C, SIGTERM) mid-application: the application is due again at once,
    and the interrupted attempt does not count."""
    with session_scope() as session:
        session.execute(update(WorkItem).where(WorkItem.id == claim.item_id, WorkItem.claimed_by == worker,
                                               WorkItem.state == "running")
                        .values(state="queued", available_at=now(), lease_until=None, claimed_by=None,
                                attempts=WorkItem.attempts - 1))
        item = session.get(WorkItem, claim.item_id)
        if item is not None and item.state == "queued" and item.again:
            item.purpose, item.again = _wider(item.purpose, item.again), None


def record_outcome(session: Session, application_id: uuid.UUID, error: str | None) -> None:
    """A hand-over that ran outside the queue (the embedded default runs the flow in the process
    that took the application) leaves its outcome here too, so every front end reads one record
    of why an application's work stopped: an error marks the row failed, a success clears it."""
    item = session.exec(select(WorkItem).where(WorkItem.application_id == application_id).with_for_update()).first()
    if error is None:
        if item is not None and item.state == "failed":
            item.state, item.last_error, item.finished_at = "done", None, now()
        return
    if item is None:
        item = WorkItem(application_id=application_id, attempts=1)
    item.state, item.last_error, item.finished_at, item.lease_until = "failed", error[:500], now(), None
    session.add(item)
