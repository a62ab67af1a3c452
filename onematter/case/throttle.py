"""Throttles shared by every process (rows in `throttles`, one per key): growing delays against
guessing, and a rate per client address on the public pages.

- `delay_left` / `failed` / `cleared`: after `free` failures within `WINDOW` of each other, each
  further failure makes the key wait 2, 4, 8 … seconds (at most `cap`) before the next try is
  heard. A try made while waiting is refused without being counted, so a guesser cannot push
  the wait further, and a person who waits gets in: a delay, never a lock for the day.
- `hit`: at most `limit` requests a `per` window for a key (one client address on one page)."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from onematter.case.models import Throttle
from onematter.config.settings import local, now

WINDOW = dt.timedelta(minutes=15)


class Throttled(Exception):
    """Too many tries: `seconds` to wait, and the message for the person."""

    def __init__(self, seconds: float):
        self.seconds = max(1, math.ceil(seconds))
        super().__init__(f"尝试过于频繁，请 {_spoken(self.seconds)}后再试")


def _spoken(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"


def _row(session: Session, key: str) -> Throttle:
    key = key[:80]
    row = session.get(Throttle, key)
    if row is None:
        try:
            with session.begin_nested():            # another process may add the same key meanwhile
                row = Throttle(key=key, failures=0, since=now())
                session.add(row)
        except IntegrityError:
            row = session.get(Throttle, key)
    return row


def delay_left(session: Session, key: str) -> float:
    """Seconds `key` must still wait before its next try is heard (0: it may try now)."""
    row = session.get(Throttle, key[:80])
    if row is None or row.locked_until is None:
        return 0.0
    return max(0.0, (local(row.locked_until) - now()).total_seconds())


def failed(session: Session, key: str, *, free: int, cap: float) -> float:
    """Count one failure of `key`; the delay it must now wait (0 while within `free`)."""
    row, at = _row(session, key), now()
    if at - local(row.since) > WINDOW:          # quiet for a while: start again
        row.failures = 0
    row.failures, row.since = row.failures + 1, at
    over = row.failures - free
    wait = 0.0 if over <= 0 else min(cap, 2.0 ** over)
    row.locked_until = at + dt.timedelta(seconds=wait) if wait else None
    session.add(row)
    return wait


def cleared(session: Session, key: str) -> None:
    row = session.get(Throttle, key[:80])
    if row is not None:
        session.delete(row)


def hit(session: Session, key: str, *, limit: int, per: dt.timedelta) -> None:
    """One request of `key`; Throttled when it has made `limit` already within `per`."""
    row, at = _row(session, key), now()
    if row.locked_until is not None and local(row.locked_until) > at:
        raise Throttled((local(row.locked_until) - at).total_seconds())
    if at - local(row.since) > per:
        row.failures, row.since = 0, at
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = local(row.since) + per
    session.add(row)
