"""一件事联办: 受理 → 办理 (every matter) → 出件 (documents, packet) → the supervisor's board. Three task
runs per application, the phases a supervisor reads; the artifacts written once, at the end."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from prefect import flow, get_run_logger
from prefect.context import TagsContext
from prefect.runtime import flow_run

from onematter.case import workqueue
from onematter.config.db import session_scope
from onematter.flows import forms
from onematter.config.embedded import served
from onematter.case.models import Application
from onematter.tasks.artifacts import publish_artifacts
from onematter.tasks.cases import application_number, decide_matters, start_processing
from onematter.tasks.documents import render_documents


@contextmanager
def untagged():
    """The run carries the tags (matters, town); its tasks none. A tagged task first asks the
    server for concurrency slots under each tag (an API call, on SQLite a write that waits for the
    lock, and the client's 2 s retry when it is busy), though no limit is set."""
    with TagsContext(current_tags=set()):
        yield


def run_name() -> str:
    """`一件事 PHYJS-20261129-0001` — the application number, never personal data."""
    application_id = flow_run.parameters["application_id"]
    with session_scope() as session:
        app = session.get(Application, uuid.UUID(str(application_id)))
        return f"一件事 {app.application_no}" if app else f"一件事 {application_id}"


@flow(name="combined-application", flow_run_name=run_name, log_prints=False)
async def combined_application(application_id: uuid.UUID) -> dict:
    """Decide every selected matter of one combined application and issue its documents.
    Takes only the application's id; running it again does no work twice."""
    application_no = application_number(application_id)
    if flow_run.id:
        workqueue.attach_run(application_id, str(flow_run.id))    # a worker's claim: its run, if it dies
    with untagged():
        pending = start_processing(application_id, application_no)          # case id → matter
        status, statuses = decide_matters(application_id, application_no, pending)
        numbers = render_documents(application_id, application_no)
    await publish_artifacts(application_id, application_no)
    if status == "awaiting_decision" and served():
        await open_decision_runs(application_id, application_no)
    return {"status": status, "matters": statuses, "documents": numbers}


async def open_decision_runs(application_id: uuid.UUID, application_no: str) -> None:
    """Served stack: each matter that waits for a supervisor gets its form in the Prefect UI, a
    suspended `审核 <no> <matter>` run (no process waits on it). Idempotent: one per matter."""
    for name in await forms.open_forms(application_no):
        get_run_logger().info("已开启审核表单 %s", name)
