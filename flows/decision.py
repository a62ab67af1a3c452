"""The supervisor's decision on a matter that waits for one (a form in the Prefect UI), and the
documents a decision produces. The decision itself lives in our database: whichever comes first,
this form or `onematter decide`, wins; the other is refused with a clear message."""

from __future__ import annotations

import datetime as dt
import uuid

from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterName, FlowRunFilter,
                                            FlowRunFilterNextScheduledStartTime, FlowRunFilterState,
                                            FlowRunFilterStateType)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import Abort, Pause
from prefect.flow_engine import run_flow
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed, Failed, Pending
from prefect.utilities.engine import propose_state

from onematter.flows import forms
from onematter.flows.combined_application import run_name as _application_run_name
from onematter.flows.combined_application import untagged
from onematter.flows.forms import decision_run_name
from onematter import matters
from onematter.case.lifecycle import get_application
from onematter.casework.applications import matter_cases
from onematter.config.db import session_scope
from onematter.casework.processing import DecisionRefused, record_decision
from onematter.casework.board import decision_description
from onematter.tasks.artifacts import publish_artifacts
from onematter.tasks.cases import application_number, settle_status
from onematter.tasks.documents import render_documents


def run_name() -> str:
    return _application_run_name().replace("一件事", "出件", 1)


@flow(name="issue-documents", flow_run_name=run_name, log_prints=False)
async def issue_documents_flow(application_id: uuid.UUID) -> dict:
    """Issue whatever documents the application is now due (idempotent) and update the board."""
    application_no = application_number(application_id)
    with untagged():
        status = settle_status(application_id, application_no)
        numbers = render_documents(application_id, application_no)
    await publish_artifacts(application_id, application_no)
    return {"status": status, "documents": numbers}


@task(name="load-case", task_run_name="读取待审核事项 {application_no}")
def load_case(application_no: str, matter: str) -> tuple[str, str, str | None]:
    """(application id, the matter's status, masked description for the form)."""
    with session_scope() as session:
        app = get_application(session, application_no)
        case = next((c for c in matter_cases(session, app.id) if c.matter == matter), None)
        status = case.status if case else "none"
        waiting = case is not None and status == matters.spec(matter).decision.waiting
        return str(app.id), status, decision_description(session, case) if waiting else None


@task(name="record-decision", task_run_name="记录审核结果 {application_no}")
def save_decision(application_no: str, matter: str, approve: bool, decided_by: str, comment: str,
                  flow_run_id: str) -> str:
    with session_scope() as session:
        app = record_decision(session, application_no, matter=matter, approve=approve, by=decided_by,
                              comment=comment or None, source="prefect-ui", flow_run_id=flow_run_id)
        return app.status


def _run_name() -> str:
    p = flow_run.parameters
    return decision_run_name(p["application_no"], p["matter"])


@flow(name="matter-decision", flow_run_name=_run_name, log_prints=False)
async def matter_decision(application_no: str, matter: str):
    """The supervisor's form (approve / reject, name, comment): suspended while it waits (no
    process), run again from the top by a warm worker when submitted — then it reads the stored
    input, records the decision (first decision wins) and issues the documents. Running it again
    does nothing twice: a decision this run recorded is not recorded again, and one recorded
    elsewhere voids the form, naming who decided."""
    try:
        spec = matters.spec(matter)
    except matters.UnknownMatter:
        return Failed(message=f"不认识的事项“{matter}”")
    if spec.decision is None:
        return Failed(message=f"“{spec.title}”事项不需要审核")
    this_run = str(flow_run.id)
    with untagged():
        application_id, status, description = load_case(application_no, matter)
    if description is None:
        decided = forms.who_decided(application_no, matter, this_run)
        if decided and decided["this_run"]:          # recorded before this run was interrupted
            await issue_documents_flow(application_id=uuid.UUID(application_id))
            return Completed(message=f"已记录审核结果：{decided['verdict']}（审核人 {decided['by']}）")
        if decided:
            return Cancelled(message=forms.voided_message(decided))
        return Completed(message=f"{application_no} 没有待审核的{spec.title}（当前状态：{status}）")
    note, form = "", None
    for attempt in range(1, 6):
        form = await suspend_flow_run(
            wait_for_input=forms.decision_input(matter).with_initial_data(description=note + description),
            timeout=None, key=f"decision-{attempt}")
        if form.decision == "不予通过" and not form.comment.strip():
            note = "**上次提交未记录：不予通过时必须填写审核意见。请重新填写。**\n\n"
            continue
        break
    else:
        return Failed(message="多次提交的审核表单都不完整，审核未记录；可重新发起审核流程")
    try:
        with untagged():
            save_decision(application_no, matter, form.decision == "通过", form.decided_by.strip(),
                          form.comment.strip(), this_run)
    except DecisionRefused as exc:
        decided = forms.who_decided(application_no, matter)
        return Cancelled(message=forms.voided_message(decided)) if decided else Failed(message=f"审核未记录：{exc}")
    await issue_documents_flow(application_id=uuid.UUID(application_id))
    return Completed(message=f"已记录审核结果：{form.decision}（审核人 {form.decided_by}）")


# ------------------------------------------------------------------ executing submitted forms


def worker_flows() -> dict:
    """The deployments whose runs the warm workers execute, by deployment name, and their flows."""
    from onematter.flows.combined_application import combined_application
    return {forms.DECISION_DEPLOYMENT_NAME: matter_decision, "issue-documents": issue_documents_flow,
            "combined-application": combined_application}


async def run_due_decisions(worker: str, *, limit: int = 5) -> int:
    """On a warm worker: take the runs that are due of the deployments the workers execute — a
    decision form submitted or rescheduled by `forms.repair`, a run started by hand in the UI —
    and run each here, in this process. The Pending transition is the claim: Prefect accepts it
    for one claimant only."""
    flows = worker_flows()
    async with get_client() as client:
        due = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
                next_scheduled_start_time=FlowRunFilterNextScheduledStartTime(before_=dt.datetime.now(dt.timezone.utc))),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=list(flows))),
            sort=FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC, limit=limit)
        done = 0
        for run in due:
            try:
                state = await propose_state(client, Pending(message=f"由工作进程 {worker} 办理"), flow_run_id=run.id)
            except Abort:
                continue                       # another worker took it
            if not state.is_pending():
                continue
            run = await client.read_flow_run(run.id)
            deployment = await client.read_deployment(run.deployment_id)
            try:
                await run_flow(flows[deployment.name], flow_run=run, return_type="state")
            except Pause:
                pass                           # suspended again: the form waits (for a corrected input)
            done += 1
        return done
