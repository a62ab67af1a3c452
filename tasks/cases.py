"""Tasks over the case record, one per phase the supervisor reads in the run (受理 / 办理): each opens
its own sessions, does its unit of work and commits. Every matter is decided in its own transaction,
so a crash between two keeps the first; running a phase again does nothing twice."""

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


def decide(case_id: str) -> str:
    """Apply one matter's rule and write its rows, in its own transaction; returns its status."""
    with session_scope() as session:
        return processing.process_matter(session, uuid.UUID(case_id), actor="flow", flow_run_id=_run_id()).status


def settle(application_id: uuid.UUID) -> str:
    """Move the application on once its matters are decided; returns its status."""
    with session_scope() as session:
        app = session.get(Application, application_id)
        cases.settle_application(session, app, actor="flow", flow_run_id=_run_id())
        return app.status


@task(name="decide-matters", task_run_name="办理 {application_no}", retries=2, retry_delay_seconds=[1, 3])
def decide_matters(application_id: uuid.UUID, application_no: str, pending: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Decide each pending matter (one transaction each), then settle the application: its status
    and each matter's. A retry takes up only what is still pending."""
    statuses = {matter: decide(case_id) for case_id, matter in pending.items()}
    return settle(application_id), statuses


@task(name="settle-application", task_run_name="结转 {application_no}")
def settle_status(application_id: uuid.UUID, application_no: str) -> str:
    """Move the application on once its matters are decided; returns its status."""
    return settle(application_id)
