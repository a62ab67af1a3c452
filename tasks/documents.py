"""Issuing documents: every document the application is due, then the packet."""

from __future__ import annotations

import uuid

from prefect import task

from onematter.casework import issuing


@task(name="render-documents", task_run_name="出件 {application_no}")
def render_documents(application_id: uuid.UUID, application_no: str) -> list[str]:
    """Render what is due and not yet issued (idempotent); returns the document numbers."""
    return sorted(d.document_no for d in issuing.issue_all_unlocked(application_id))
