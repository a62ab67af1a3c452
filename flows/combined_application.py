"""一件事联办: intake → matters in parallel → documents → packet → supervisor's board."""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger
from prefect.futures import wait
from prefect.runtime import deployment, flow_run

from onematter.cases import matter_cases
from onematter.db import session_scope
from onematter.models import Application
from tasks.artifacts import publish_artifacts
from tasks.cases import application_number, decide_matter, settle_application, start_processing
from tasks.documents import issue_documents

DECISION_DEPLOYMENT = "incentive-decision/incentive-decision"


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
    pending = start_processing(application_id, application_no)
    with session_scope() as session:
        names = {str(c.id): c.matter for c in matter_cases(session, application_id)}
    futures = [decide_matter.submit(case_id, names[case_id]) for case_id in pending]
    wait(futures)
    statuses = {names[cid]: f.result() for cid, f in zip(pending, futures)}
    status = settle_application(application_id, application_no)
    numbers = issue_documents(application_id, application_no)
    publish_artifacts(application_id, application_no)
    if status == "awaiting_decision" and deployment.id:
        await open_decision_run(application_no)
    return {"status": status, "matters": statuses, "documents": numbers}


async def open_decision_run(application_no: str) -> None:
    """Served stack: open the supervisor's decision run (waits in the UI for the form).
    Idempotent: one decision run per application."""
    from prefect.deployments import run_deployment
    run = await run_deployment(DECISION_DEPLOYMENT, parameters={"application_no": application_no}, timeout=0,
                               flow_run_name=f"审核 {application_no}",
                               idempotency_key=f"decision-{application_no}", as_subflow=False,
                               tags=["employer_incentive", "审核"])
    get_run_logger().info("已开启审核流程 %s", run.name)
