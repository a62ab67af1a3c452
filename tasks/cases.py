"""Tasks over the case record: each opens its own session, does one unit of work, commits once."""

from __future__ import annotations

import uuid

from prefect import task
from prefect.runtime import flow_run

from onematter.casework import applications as cases
from onematter.casework import processing
from onematter.config.db import session_scope
from onematter.case.models import Application


def _run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None


def application_number(application_id: uuid.UUID) -> str:
    """The application number, for run and task names (never personal data)."""
    with session_scope() as session:
        return session.get(Application, application_id).application_no


@task(name="start-processing", task_run_name="受理 {application_no}")
def start_processing(application_id: uuid.UUID, application_no: str) -> dict[str, str]:
    """Mark the application as being processed; return its undecided matter cases (id → matter)."""
    with session_scope() as session:
        app = session.get(Application, application_id)
        app.flow_run_id = app.flow_run_id or _run_id()
        if app.status == "received":
            cases.transition(session, app, "processing", actor="flow", flow_run_id=_run_id())
        return {str(c.id): c.matter for c in cases.matter_cases(session, app.id) if c.status == "pending"}


@task(name="decide-matter", task_run_name="办理 {matter}", retries=2, retry_delay_seconds=[1, 3])
def decide_matter(case_id: str, matter: str) -> str:
    """Apply one matter's rule and write its rows; returns the matter's status."""
    with session_scope() as session:
        return processing.process_matter(session, uuid.UUID(case_id), actor="flow", flow_run_id=_run_id()).status


@task(name="settle-application", task_run_name="结转 {application_no}")
def settle_status(application_id: uuid.UUID, application_no: str) -> str:
    """Move the application on once its matters are decided; returns its status."""
    with session_scope() as session:
        app = session.get(Application, application_id)
        cases.settle_application(session, app, actor="flow", flow_run_id=_run_id())
        return app.status
