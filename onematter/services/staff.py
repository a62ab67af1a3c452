"""What staff do on the staff page besides applying and deciding: signing in (the failure count
and the lock are written), recording a task's result. Each opens its own unit of work."""

from __future__ import annotations

from onematter.case import sessions
from onematter.case.accounts import authenticate
from onematter.config.db import session_scope


def sign_in(*, username: str, password: str) -> tuple[str | None, str]:
    """(the username signed in, "") or (None, why) — the failure is counted (and locks the
    account after too many) either way."""
    with session_scope() as session:
        user, why = authenticate(session, username, password)
        return (user.username if user else None), why


def start_session(*, username: str) -> str:
    """A new server-side session for a user who just signed in: its id (the cookie's)."""
    with session_scope() as session:
        return sessions.start(session, username)


def end_session(*, sid: str) -> None:
    with session_scope() as session:
        sessions.end(session, sid)


def session_live(*, sid: str, username: str) -> bool:
    """Whether the cookie's session is still live (ended at sign-out, or idle too long: false);
    a live one is touched, at most once a minute."""
    with session_scope(readonly=True) as session:
        state = sessions.live(session, sid, username, write=False)
    if state is None or state is False:            # touched within the minute, or dead: nothing to write
        return state is None
    with session_scope() as session:               # touched, or ended by idleness: written
        return sessions.live(session, sid, username) in (True, None)     # None: another request touched it
