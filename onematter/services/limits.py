"""How often one client address may use each public page (no account: 文书核验, 办件查询,
电子送达, 好差评), counted in the database so that every process shares the count. Beyond the
rate, the page answers 429 with how long to wait. Wrong answers are throttled as well, per
document (casework.public)."""

from __future__ import annotations

import datetime as dt

from onematter.case import throttle
from onematter.config.db import session_scope

# page: (requests, per seconds) — a veteran checks a few times; a script checking thousands is slowed
LIMITS = {
    "verify": (30, 60),          # a number and code (every QR scan)
    "verify-upload": (10, 60),   # an uploaded PDF: parsed in a process of its own
    "track": (20, 60),
    "collect": (20, 60),
    "rate": (20, 60),
}


def admit(page: str, client: str) -> None:
    """One request of `client` on `page`; throttle.Throttled when it is over the page's rate."""
    limit, per = LIMITS[page]
    with session_scope() as session:
        throttle.hit(session, f"{page}@{client[:45]}", limit=limit, per=dt.timedelta(seconds=per))
