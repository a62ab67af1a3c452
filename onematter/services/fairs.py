"""A fair registration cancelled: the place goes to the first on that fair's waitlist for the same
mode, who is told (outbox) and issued a ticket."""

from __future__ import annotations

from onematter.case.models import Application
from onematter.config.db import session_scope
from onematter.matters.job_fair import release_place
from onematter.services import handover


def cancel_registration(*, registration_code: str, by: str, source: str) -> dict:
    """{"cancelled": code, "promoted": [application numbers]}. Raises LookupError (no such code, or
    cancelled already) and ProcessingFailed (the place is given, that person's ticket was not issued:
    `resume` issues it)."""
    with session_scope() as session:
        promoted = release_place(session, registration_code, actor=f"{source}:{by}")
        apps = [(c.application_id, session.get(Application, c.application_id).application_no) for c in promoted]
    for application_id, application_no in apps:
        handover.issue_documents(application_id=application_id, application_no=application_no)
    return {"cancelled": registration_code.strip().upper(), "promoted": [no for _, no in apps]}
