"""The supervisor's decision on an employer-incentive case (a form in the Prefect UI), and the
documents a decision produces. The decision itself lives in our database: whichever comes first,
this form or `onematter decide`, wins; the other is refused with a clear message."""

from __future__ import annotations

import uuid
from typing import Literal

from prefect import flow, task
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.states import Completed, Failed
from pydantic import Field

from flows.combined_application import run_name as _application_run_name
from onematter.cases import get_application
from onematter.db import session_scope
from onematter.matters import DecisionRefused, decide_incentive
from onematter.settings import get_settings
from onematter.supervision import decision_description
from tasks.artifacts import publish_artifacts
from tasks.cases import application_number, settle_application
from tasks.documents import issue_documents


def run_name() -> str:
    return _application_run_name().replace("一件事", "出件", 1)


@flow(name="issue-documents", flow_run_name=run_name, log_prints=False)
async def issue_documents_flow(application_id: uuid.UUID) -> dict:
    """Issue whatever documents the application is now due (idempotent) and update the board."""
    application_no = application_number(application_id)
    status = settle_application(application_id, application_no)
    numbers = issue_documents(application_id, application_no)
    publish_artifacts(application_id, application_no)
    return {"status": status, "documents": numbers}


class DecisionForm(RunInput):
    """审核表单 — shown by the Prefect UI when the run waits for input."""
    decision: Literal["通过", "不予通过"] = Field(title="审核结果", description="通过 或 不予通过")
    decided_by: str = Field(min_length=1, max_length=30, title="审核人姓名", description="必填")
    comment: str = Field(default="", max_length=500, title="审核意见", description="不予通过时必填")


@task(name="load-case", task_run_name="读取待审核事项 {application_no}")
def load_case(application_no: str) -> tuple[str, str, str | None]:
    """(application id, incentive status, masked description for the form)."""
    with session_scope() as session:
        app = get_application(session, application_no)
        from onematter.cases import matter_cases
        case = next((c for c in matter_cases(session, app.id) if c.matter == "employer_incentive"), None)
        status = case.status if case else "none"
        text = decision_description(session, app.id) if status == "pending_decision" else None
        return str(app.id), status, text


@task(name="record-decision", task_run_name="记录审核结果 {application_no}")
def record_decision(application_no: str, approve: bool, decided_by: str, comment: str) -> str:
    with session_scope() as session:
        app = decide_incentive(session, application_no, approve=approve, by=decided_by,
                               comment=comment or None, source="prefect-ui")
        return app.status


@flow(name="incentive-decision", flow_run_name="审核 {application_no}", log_prints=False)
async def incentive_decision(application_no: str):
    """Waits for the supervisor's form (approve / reject, name, comment), records it, issues the
    notice and updates the board. The case stays correct whatever this run does: it is a row
    with a deadline, and this run only proposes a decision to it."""
    application_id, status, description = load_case(application_no)
    if status != "pending_decision":
        return Completed(message=f"{application_no} 没有待审核的企业吸纳优惠申请（当前状态：{status}）")
    note = ""
    for attempt in range(1, 6):
        form = await pause_flow_run(
            wait_for_input=DecisionForm.with_initial_data(description=note + description),
            timeout=get_settings().decision_wait_seconds, poll_interval=2, key=f"decision-{attempt}")
        if form.decision == "不予通过" and not form.comment.strip():
            note = "**上次提交未记录：不予通过时必须填写审核意见。请重新填写。**\n\n"
            continue
        break
    else:
        return Failed(message="多次提交的审核表单都不完整，审核未记录；可重新发起审核流程")
    try:
        record_decision(application_no, form.decision == "通过", form.decided_by.strip(), form.comment.strip())
    except DecisionRefused as exc:
        return Failed(message=f"审核未记录：{exc}")
    await issue_documents_flow(application_id=uuid.UUID(application_id))
    return Completed(message=f"已记录审核结果：{form.decision}（审核人 {form.decided_by}）")
