"""一件事联办: intake → matters in parallel → documents → packet → supervisor's board."""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger
from prefect.futures import wait
from prefect.runtime import flow_run

from onematter import matters
from onematter.case import workqueue
from onematter.casework.applications import matter_cases
from onematter.config.db import session_scope
from onematter.config.embedded import served
from onematter.case.models import Application
from onematter.tasks.artifacts import publish_artifacts
from onematter.tasks.cases import application_number, decide_matter, settle_status, start_processing
from onematter.tasks.documents import render_documents

DECISION_DEPLOYMENT = "matter-decision/matter-decision"


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
    pending = start_processing(application_id, application_no)          # case id → matter
    futures = [decide_matter.submit(case_id, matter) for case_id, matter in pending.items()]
    wait(futures)
    statuses = {pending[cid]: f.result() for cid, f in zip(pending, futures)}
    status = settle_status(application_id, application_no)
    numbers = render_documents(application_id, application_no)
    publish_artifacts(application_id, application_no)
    if status == "awaiting_decision" and served():
        await open_decision_runs(application_id, application_no)
    return {"status": status, "matters": statuses, "documents": numbers}


def waiting_matters(application_id: uuid.UUID) -> list[str]:
    """The application's matters that wait for a supervisor's decision now."""
    with session_scope() as session:
        return [c.matter for c in matter_cases(session, application_id)
                if (s := matters.spec(c.matter)).decision and c.status == s.decision.waiting]


async def open_decision_runs(application_id: uuid.UUID, application_no: str) -> None:
    """Served stack: open one decision run per matter that waits for a supervisor (each waits in
    the UI for its form). Idempotent: one decision run per application and matter."""
    from prefect.deployments import run_deployment
    for matter in waiting_matters(application_id):
        spec = matters.spec(matter)
        run = await run_deployment(DECISION_DEPLOYMENT, parameters={"application_no": application_no, "matter": matter},
                                   timeout=0, flow_run_name=decision_run_name(application_no, matter),
                                   idempotency_key=f"decision-{application_no}-{matter}", as_subflow=False,
                                   tags=[matter, "审核"])
        get_run_logger().info("已开启%s审核流程 %s", spec.short, run.name)


def decision_run_name(application_no: str, matter: str) -> str:
    """`审核 PHYJS-20261129-0001 企业吸纳优惠`."""
    try:
        return f"审核 {application_no} {matters.spec(matter).short}"
    except matters.UnknownMatter:
        return f"审核 {application_no} {matter}"
