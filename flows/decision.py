"""The supervisor's decision on a matter that waits for one (a form in the Prefect UI), and the
documents a decision produces. The decision itself lives in our database: whichever comes first,
this form or `onematter decide`, wins; the other is refused with a clear message."""

from __future__ import annotations

import uuid
from functools import lru_cache

from prefect import flow, task
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.states import Completed, Failed

from onematter.flows.combined_application import decision_run_name
from onematter.flows.combined_application import run_name as _application_run_name
from onematter import matters
from onematter.case.lifecycle import get_application
from onematter.casework.applications import matter_cases
from onematter.config.db import session_scope
from onematter.casework.processing import DecisionRefused, record_decision
from onematter.config.settings import get_settings
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
    status = settle_status(application_id, application_no)
    numbers = render_documents(application_id, application_no)
    publish_artifacts(application_id, application_no)
    return {"status": status, "documents": numbers}


@lru_cache(maxsize=None)
def decision_input(matter: str) -> type[RunInput]:
    """The matter's decision form as Prefect run input (审核结果 / 审核人姓名 / 审核意见 …)."""
    return RunInput.subclass_from_base_model_type(matters.spec(matter).decision.form)


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
def save_decision(application_no: str, matter: str, approve: bool, decided_by: str, comment: str) -> str:
    with session_scope() as session:
        app = record_decision(session, application_no, matter=matter, approve=approve, by=decided_by,
                              comment=comment or None, source="prefect-ui")
        return app.status


def _run_name() -> str:
    from prefect.runtime import flow_run
    p = flow_run.parameters
    return decision_run_name(p["application_no"], p["matter"])


@flow(name="matter-decision", flow_run_name=_run_name, log_prints=False)
async def matter_decision(application_no: str, matter: str):
    """Waits for the supervisor's form (approve / reject, name, comment), records it, issues the
    notice and updates the board. The case stays correct whatever this run does: it is a row
    with a deadline, and this run only proposes a decision to it."""
    try:
        spec = matters.spec(matter)
    except matters.UnknownMatter:
        return Failed(message=f"不认识的事项“{matter}”")
    if spec.decision is None:
        return Failed(message=f"“{spec.title}”事项不需要审核")
    application_id, status, description = load_case(application_no, matter)
    if description is None:
        return Completed(message=f"{application_no} 没有待审核的{spec.title}（当前状态：{status}）")
    note = ""
    for attempt in range(1, 6):
        form = await pause_flow_run(
            wait_for_input=decision_input(matter).with_initial_data(description=note + description),
            timeout=get_settings().decision_wait_seconds, poll_interval=2, key=f"decision-{attempt}")
        if form.decision == "不予通过" and not form.comment.strip():
            note = "**上次提交未记录：不予通过时必须填写审核意见。请重新填写。**\n\n"
            continue
        break
    else:
        return Failed(message="多次提交的审核表单都不完整，审核未记录；可重新发起审核流程")
    try:
        save_decision(application_no, matter, form.decision == "通过", form.decided_by.strip(), form.comment.strip())
    except DecisionRefused as exc:
        return Failed(message=f"审核未记录：{exc}")
    await issue_documents_flow(application_id=uuid.UUID(application_id))
    return Completed(message=f"已记录审核结果：{form.decision}（审核人 {form.decided_by}）")
