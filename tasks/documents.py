"""Issuing documents: every document the application is due, then the packet."""

from __future__ import annotations

import uuid

from prefect import task

from onematter import issuing
from onematter.db import session_scope


@task(name="render-documents", task_run_name="出件 {application_no}")
def render_documents(application_id: uuid.UUID, application_no: str) -> list[str]:
    """Render what is due and not yet issued (idempotent); returns the document numbers."""
    with session_scope() as session:
        return [d.document_no for d in issuing.issue_all(session, application_id)]
