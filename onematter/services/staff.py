"""What staff do on the staff page besides applying and deciding: signing in (the failure count
and the lock are written), recording a task's result. Each opens its own unit of work."""

from __future__ import annotations

from onematter.case.accounts import authenticate
from onematter.config.db import session_scope


def sign_in(*, username: str, password: str) -> tuple[str | None, str]:
    """(the username signed in, "") or (None, why) — the failure is counted (and locks the
    account after too many) either way."""
    with session_scope() as session:
        user, why = authenticate(session, username, password)
        return (user.username if user else None), why
