"""The monthly statistics (PDF and CSV), as the `monthly-report` schedule makes them."""

from __future__ import annotations

import datetime as dt

from onematter.casework.report import previous_month, render_report
from onematter.config.db import session_scope
from onematter.config.settings import today


def monthly(*, month: dt.date | None = None) -> dict:
    """The report of the month starting `month` (default: the previous month): its `pdf`, `csv`
    and `figures`."""
    with session_scope() as session:
        return render_report(session, month or previous_month(today()))
