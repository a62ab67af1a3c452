"""Staff sessions held on the server (issue 21 §4): signing in makes a new random session id (the
cookie carries nothing else that grants access, so a cookie planted before sign-in is worth
nothing after it); signing out ends the session for every copy of the cookie; a session ends
after `web_idle_minutes` without a request, counted from the last one (touched at most once a
minute, so a page polling its progress does not write on every poll)."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlmodel import Session

from onematter.case.models import WebSession
from onematter.config.settings import get_settings, local, now

TOUCH_EVERY = dt.timedelta(seconds=60)


def start(session: Session, username: str) -> str:
    sid = secrets.token_urlsafe(32)
    session.add(WebSession(id=sid, username=username))
    session.flush()
    return sid


def end(session: Session, sid: str, why: str = "logout") -> None:
    row = session.get(WebSession, sid) if sid else None
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_why = now(), why
        session.add(row)


def live(session: Session, sid: str, username: str, *, write: bool = True) -> bool | None | str:
    """Whether the session `sid` of `username` is live: True (live, touched now), None (live and
    touched recently: nothing to write), False (ended before, or unknown) or "idle" (ended now,
    idle too long). `write=False` only looks (a reader's unit of work changes nothing)."""
    row = session.get(WebSession, sid) if sid else None
    if row is None or row.username != username or row.ended_at is not None:
        return False
    current = now()
    if current - local(row.last_seen_at) > dt.timedelta(minutes=get_settings().web_idle_minutes):
        if write:
            row.ended_at, row.ended_why = current, "idle"
            session.add(row)
        return "idle"
    if current - local(row.last_seen_at) < TOUCH_EVERY:
        return None
    if write:
        row.last_seen_at = current
        session.add(row)
    return True
