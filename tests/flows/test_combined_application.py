"""The Prefect flow end to end on a real (test-harness) Prefect server."""

import asyncio
import io

from pypdf import PdfReader
from sqlmodel import select

from onematter.flows.combined_application import combined_application
from onematter.flows.decision import issue_documents_flow
from onematter.casework.applications import submit_application
from onematter.casework.intake import parse_intake
from onematter.casework.processing import record_decision
from onematter.case.models import Application, Document, Event
from onematter.matters.job_fair.models import FairRegistration
from onematter.matters.job_push.models import Push
from onematter.matters.training.models import Enrolment
from onematter.casework.views import application_view


def _text(path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages)


def test_flow_decides_every_matter_and_issues_documents(prefect, session, catalogue, form):
    app, _ = submit_application(session, parse_intake(form), actor="t")
    result = asyncio.run(combined_application(application_id=app.id))
    assert result["status"] == "awaiting_decision"
    assert result["matters"] == {"training": "enrolled", "education": "registered", "job_push": "pushed",
                                 "job_fair": "registered", "employer_incentive": "pending_decision"}
    session.expire_all()
    view = application_view(session, session.get(Application, app.id))
    kinds = [d["kind"] for d in view["documents"]]
    assert kinds == ["form", "receipt", "training", "education", "job_push", "job_fair", "incentive_form",
                     "packet-intake"]
    receipt = _text(view["documents"][1]["path"])
    assert app.application_no in receipt and "陆建军" in receipt and "2026年12月14日" in receipt
    incentive = _text(view["documents"][6]["path"])
    for figure in ("6,750", "9,000", "2,250", "27,000", "公告2023年第14号"):
        assert figure in incentive
    packet = PdfReader(view["documents"][-1]["path"])
    assert len(packet.pages) > 7
    # every status change was written with the flow run that made it
    flow_events = session.exec(select(Event).where(Event.application_id == app.id, Event.actor == "flow")).all()
    assert len(flow_events) == 7 and all(e.flow_run_id for e in flow_events)
    # the run a supervisor reads: three phases, and the board's two artifacts (masked), once each
    tasks, artifacts = asyncio.run(_run_record(flow_events[0].flow_run_id))
    no = app.application_no
    assert sorted(tasks) == sorted([f"受理 {no}", f"办理 {no}", f"出件 {no}"])
    key = f"application-{no.lower()}"
    assert sorted(a.key for a in artifacts) == [key, f"{key}-matters"]
    summary = next(a for a in artifacts if a.key == key).data
    assert "330482********" in summary and form["applicant"]["id_number"] not in summary


async def _run_record(flow_run_id: str, expected_tasks: int = 3):
    """The task run names and the artifacts of one flow run, as the Prefect UI lists them (task
    runs reach the server as events: waited for a few seconds)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId
    async with get_client() as client:
        runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        for _ in range(50):
            tasks = [t.name for t in await client.read_task_runs(flow_run_filter=runs)]
            if len(tasks) >= expected_tasks:
                break
            await asyncio.sleep(0.2)
        artifacts = await client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
        return tasks, artifacts


def test_running_the_flow_again_does_no_work_twice(prefect, session, catalogue, form):
    app, _ = submit_application(session, parse_intake(form), actor="t")
    asyncio.run(combined_application(application_id=app.id))
    before = {d.doc_key: d.pdf_sha256 for d in session.exec(select(Document)).all()}
    asyncio.run(combined_application(application_id=app.id))
    session.expire_all()
    after = {d.doc_key: d.pdf_sha256 for d in session.exec(select(Document)).all()}
    assert after == before
    assert len(session.exec(select(Enrolment)).all()) == 1
    assert len(session.exec(select(FairRegistration)).all()) == 1
    assert len(session.exec(select(Push)).all()) == 3


def _decided(session, form, *, approve: bool, comment: str | None) -> dict[str, Document]:
    """Intake flow, a supervisor's decision from the CLI path, then the documents flow."""
    app, _ = submit_application(session, parse_intake(form), actor="t")
    asyncio.run(combined_application(application_id=app.id))
    record_decision(session, app.application_no, approve=approve, by="李科长", comment=comment, source="cli")
    session.commit()
    asyncio.run(issue_documents_flow(application_id=app.id))
    session.rollback()
    return {d.doc_key: d for d in session.exec(select(Document).where(Document.application_id == app.id)).all()}


def test_decision_issues_notice_completion_and_final_packet(prefect, session, catalogue, form):
    docs = _decided(session, form, approve=True, comment=None)
    assert {"incentive_approval", "completion", "packet"} <= set(docs)
    approval = _text(docs["incentive_approval"].path)
    assert "李科长" in approval and "27,000" in approval
    completion = _text(docs["completion"].path)
    for word in ("职业技能培训", "学历教育提升", "就业信息推送", "专场招聘会", "审核确认"):
        assert word in completion
    final = PdfReader(docs["packet"].path)
    assert len(final.pages) == 1 + sum(d.pages for k, d in docs.items() if not k.startswith("packet"))


def test_rejection_issues_a_review_notice_with_the_comment(prefect, session, catalogue, form):
    docs = _decided(session, form, approve=False, comment="社保缴纳记录与合同不符")
    assert "refusal-employer_incentive" not in docs
    text = _text(docs["rejection-employer_incentive"].path)
    assert "审核不予确认通知书" in text and "社保缴纳记录与合同不符" in text and "行政复议" in text


def test_final_packet_carries_the_documents_exactly_as_issued(prefect, session, catalogue, form):
    """Documents issued at intake keep their content in the final packet (same verification code),
    although the application has moved on since."""
    docs = _decided(session, form, approve=True, comment=None)
    # (a page carrying a notice's seal as a stamp reads with one more line break at its end)
    packet_pages = [p.extract_text().rstrip() for p in PdfReader(docs["packet"].path).pages]
    for key in ("receipt", "form", "incentive_form"):
        for page in PdfReader(docs[key].path).pages:
            assert page.extract_text().rstrip() in packet_pages, key
