"""好差评, as every front end uses it: the public rating page (by the 办结通知书's number and
code), the list (`onematter ratings list`, the staff page, a clerk's own station) and the figures
per station."""

from __future__ import annotations

import datetime as dt

from onematter.casework import ratings
from onematter.casework.ratings import LEVELS, REASONS, RatingRefused  # noqa: F401 — for the front ends
from onematter.config.db import session_scope
from onematter.config.settings import today
from onematter.services.scope import EVERYONE, Viewer


def page(*, document_no: str, code: str) -> dict:
    """What the rating page needs: the application's number and whether it is rated already.
    RatingRefused when the link is wrong."""
    with session_scope(readonly=True) as session:
        _, app = ratings.completion_of(session, document_no, code)
        done = ratings.existing(session, app)
        return {"application_no": app.application_no, "rated": done is not None,
                "rated_label": LEVELS[done.level] if done else ""}


def rate(*, document_no: str, code: str, level, reasons: list[str], text: str = "") -> dict:
    """Store the rating (FormError, RatingRefused): the rating as `ratings list` shows it."""
    with session_scope() as session:
        row = ratings.rate(session, document_no=document_no, code=code, level=level, reasons=reasons, text=text)
        return ratings.view(session, row)


def listing(*, viewer: Viewer = EVERYONE, station: str = "", limit: int | None = None) -> list[dict]:
    with session_scope(readonly=True) as session:
        return ratings.listing(session, station=station if viewer.sees_all else viewer.station, limit=limit)


def month_figures(*, month: dt.date | None = None, viewer: Viewer = EVERYONE) -> dict:
    """This month's (or `month`'s) figures per station, as this viewer may see them."""
    first = (month or today()).replace(day=1)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    with session_scope(readonly=True) as session:
        return {"month": first.isoformat()[:7],
                "stations": ratings.figures(session, first, nxt, station="" if viewer.sees_all else viewer.station)}
