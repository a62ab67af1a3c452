"""Handing work to Prefect — the one place that knows how: on the embedded default the flow runs
in this process (or, for the staff page, in a background thread); on a served stack the
application, and later the documents a decision or a promotion makes due, go to the warm workers'
queue (never a process per run). Failures are recorded on the application's queue row, where every
front end reads them.

Prefect and the flows are imported inside the functions that run them: the CLI imports this
module for every command, and reading commands (`status`, `list`, `verify`) never start Prefect."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Callable

from onematter.case import workqueue
from onematter.case.models import Application
from onematter.casework.applications import matter_cases
from onematter.config.db import session_scope
from onematter.config.embedded import embedded_api, prefect_defaults, served, watch_children
from onematter.config.privacy import safe_traceback, scrub

log = logging.getLogger("onematter.handover")


class ProcessingFailed(Exception):
    """The hand-over ran and failed: the application is kept as it stands (resume continues it)."""

    def __init__(self, application_no: str, message: str):
        super().__init__(message)
        self.application_no = application_no
        self.message = message


def submit_to_queue(application_id: uuid.UUID, *, wait: bool, timeout: float = 600,
                    purpose: str = workqueue.APPLICATION, application_no: str = "") -> None:
    """Served stack: queue the application's work for the warm workers (idempotent: one item per
    application; a request made while it runs is run right after); wait for it unless told not
    to (ProcessingFailed when the workers gave up on it or did not finish in time)."""
    with session_scope() as session:
        workqueue.enqueue(session, application_id, purpose)
    if wait:
        try:
            workqueue.wait_until_done(application_id, timeout=timeout)
        except workqueue.NotProcessed as exc:
            raise ProcessingFailed(application_no, str(exc)) from exc


def flow_labels(application_id: uuid.UUID) -> list[str]:
    """The run's tags: its matters and town (no personal data)."""
    with session_scope(readonly=True) as session:
        app_row = session.get(Application, application_id)
        return [c.matter for c in matter_cases(session, application_id)] + [app_row.town]


def run_flow_here(application_id: uuid.UUID) -> None:
    """The combined-application flow in this process, against whichever Prefect API is current
    (a warm worker's, or the embedded server)."""
    import asyncio  # noqa: I001 — Prefect and the flows load only when a flow runs (reading commands stay light)

    from prefect import tags

    from onematter.flows.combined_application import combined_application
    with tags(*flow_labels(application_id)):
        asyncio.run(combined_application(application_id=application_id))


def _load_while_the_server_starts() -> None:
    """Prefect, the flows and the fonts loaded while the server started early comes up (embedded
    default): the first document is then as quick as the next."""
    import onematter.flows.decision  # noqa: F401 — imported here, in parallel with the server's start
    from onematter.documents.render import warm_fonts
    warm_fonts()


def run_documents_here(application_id: uuid.UUID) -> None:
    """The issue-documents flow (`出件 <no>`) in this process: a warm worker's, or the embedded one."""
    import asyncio  # noqa: I001 — the flow loads only when it runs

    from onematter.flows.decision import issue_documents_flow
    asyncio.run(issue_documents_flow(application_id=application_id))


def _embedded(run_here: Callable[[uuid.UUID], None]) -> Callable[[uuid.UUID], None]:
    """`run_here` on the embedded default: Prefect's state under the data dir, a watchdog over
    what this process starts, the flows loaded while the early server comes up, then run."""
    def run(application_id: uuid.UUID) -> None:
        prefect_defaults()
        watch_children()
        _load_while_the_server_starts()
        with embedded_api():
            run_here(application_id)
    return run


run_application_flow = _embedded(run_flow_here)          # the combined-application flow, here
run_documents_flow = _embedded(run_documents_here)       # what the application is now due, here


def _run(target: Callable[[uuid.UUID], None], application_id: uuid.UUID, application_no: str) -> None:
    """Run a hand-over and record its outcome; a failure is ProcessingFailed (message masked)."""
    try:
        target(application_id)
    except Exception as exc:
        message = scrub(str(exc))[:300] or type(exc).__name__
        with session_scope() as session:
            workqueue.record_outcome(session, application_id, message)
        raise ProcessingFailed(application_no, message) from exc
    with session_scope() as session:
        workqueue.record_outcome(session, application_id, None)


def _in_background(target: Callable[[uuid.UUID], None], application_id: uuid.UUID, application_no: str) -> None:
    """The staff page does not hold the request: a daemon thread, its failure logged (masked) and
    recorded, so the case page says at once that the work stopped, and why."""
    def run() -> None:
        try:
            _run(target, application_id, application_no)
        except ProcessingFailed:
            log.error("后台办理出错 %s：%s", application_no, safe_traceback())
    threading.Thread(target=run, daemon=True, name=f"handover-{application_no}").start()


def hand_over(*, application_id: uuid.UUID, application_no: str, wait: bool = True,
              background: bool = False) -> None:
    """The application's flow: queued for the warm workers on a served stack (waited for unless
    `wait` is false), else run here — in this thread, or a background one for the staff page."""
    if served():
        submit_to_queue(application_id, wait=wait, application_no=application_no)
    elif background:
        _in_background(run_application_flow, application_id, application_no)
    else:
        _run(run_application_flow, application_id, application_no)


def issue_documents(*, application_id: uuid.UUID, application_no: str, background: bool = False) -> None:
    """Whatever documents the application is due now (after a decision, a promotion …): on a served
    stack queued for the warm workers (the staff page does not wait: the case page polls)."""
    if served():
        submit_to_queue(application_id, wait=not background, purpose=workqueue.DOCUMENTS,
                        application_no=application_no)
    elif background:
        _in_background(run_documents_flow, application_id, application_no)
    else:
        _run(run_documents_flow, application_id, application_no)


def void_open_decision_runs(application_no: str, matter: str, by: str, *, via: str, verdict: str) -> None:
    """A decision came from elsewhere (the CLI, the staff page): the matter's decision form still
    open in the Prefect UI is cancelled, visibly, naming who decided."""
    import asyncio  # noqa: I001 — Prefect's client only on a served stack, when a form may wait

    from onematter.flows import forms
    message = forms.voided_message({"by": by, "via": via, "verdict": verdict})
    asyncio.run(forms.void_forms(application_no, matter, message))
