"""The catalogue (courses, programmes, postings, fairs, banks): importing a parsed one by code,
and the sample one (示例数据) dated from a day."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from onematter.casework import catalogue as codes
from onematter.config.db import session_scope
from onematter.config.settings import today


def import_catalogue(*, catalogue: BaseModel) -> dict[str, dict[str, int]]:
    """Create or update every entry by code: {list: {"created": n, "updated": n}}."""
    with session_scope() as session:
        return codes.import_catalogue(session, catalogue)


def sample(*, day: dt.date | None = None) -> dict:
    """The sample catalogue, dated relative to `day` (default today), as a file holds it."""
    return codes.sample_catalogue(day or today())
