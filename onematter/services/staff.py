"""What staff do on the staff page besides applying and deciding: signing in (wrong passwords
slowed by growing delays), recording a task's result. Each opens its own unit of work."""

from __future__ import annotations

from onematter.case import sessions, throttle
from onematter.case.accounts import WRONG, authenticate
from onematter.config.db import session_scope


# growing delays against guessing (case/throttle.py): (key, failures free, longest wait in seconds)
#  - this account from this address: the guesser at one desk waits 2, 4, 8 … s, up to 15 minutes;
#  - this address, any account: one machine trying many accounts;
#  - this account from anywhere: guessing from many addresses, kept short (30 s) so that it
#    can never keep the clerk out
def _login_keys(username: str, client: str) -> list[tuple[str, int, float]]:
    return [(f"login:{username}|{client}", 3, 900.0), (f"login-from:{client}", 10, 900.0), (f"login:{username}", 10, 30.0)]


def sign_in(*, username: str, password: str, client: str = "-") -> tuple[str | None, str]:
    """(the username signed in, "") or (None, why). Every wrong password is counted against the
    name typed (known or not: the answers are alike) and the client's address; while a delay
    runs, a try is refused unheard."""
    name = (username or "").strip().lower()[:32]
    keys = _login_keys(name, client[:45])
    with session_scope() as session:
        wait = max(throttle.delay_left(session, key) for key, _, _ in keys)
        if wait:
            return None, f"登录尝试过于频繁，请 {throttle.Throttled(wait).seconds} 秒后再试"
        user, why = authenticate(session, name, password)
        if user is not None:
            for key, _, _ in keys[::2]:           # this account's own counts; the address's stays
                throttle.cleared(session, key)
            return user.username, ""
        if why == WRONG:
            wait = max(throttle.failed(session, key, free=free, cap=cap) for key, free, cap in keys)
            if wait:
                why += f"；尝试过于频繁，请 {throttle.Throttled(wait).seconds} 秒后再试"
        return None, why


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
