"""After a supervisor's decision: issue the documents it produces (notice, completion, packet)."""

from __future__ import annotations

import uuid

from prefect import flow

from flows.combined_application import run_name as _application_run_name
from tasks.cases import settle_application
from tasks.documents import issue_documents


def run_name() -> str:
    return _application_run_name().replace("一件事", "出件", 1)


@flow(name="issue-documents", flow_run_name=run_name, log_prints=False)
async def issue_documents_flow(application_id: uuid.UUID) -> dict:
    """Issue whatever documents the application is now due (idempotent)."""
    status = settle_application(application_id)
    return {"status": status, "documents": issue_documents(application_id)}
