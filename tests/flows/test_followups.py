"""Deadline watch: a reminder at 1 working day left, escalation when overdue — each once."""

import asyncio

from sqlmodel import select

from onematter.flows.followups import deadline_watch
from onematter.casework.applications import matter_cases, settle_application, submit_application
from onematter.casework.intake import parse_intake
from onematter.casework.processing import process_matter
from onematter.case.models import Event, MatterCase, Notification


def _pending_incentive(session, form):
    form["matters"] = {"employer_incentive": form["matters"]["employer_incentive"]}
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for c in matter_cases(session, app.id):
        process_matter(session, c.id)
    settle_application(session, app, actor="t")
    session.commit()
    return app


def test_reminder_then_escalation_each_once(prefect, session, catalogue, form, monkeypatch):
    from onematter.config.settings import get_settings
    app = _pending_incentive(session, form)
    case = session.exec(select(MatterCase)).one()
    assert case.deadline.isoformat() == "2026-12-14"       # 10 working days from Monday 2026-11-30

    monkeypatch.setenv("ONEMATTER_TODAY", "2026-12-11")    # Friday: 1 working day left
    get_settings.cache_clear()
    assert asyncio.run(deadline_watch())["reminded"] == [app.application_no]
    assert asyncio.run(deadline_watch())["reminded"] == []

    monkeypatch.setenv("ONEMATTER_TODAY", "2026-12-15")    # overdue
    get_settings.cache_clear()
    assert asyncio.run(deadline_watch())["escalated"] == [app.application_no]
    assert asyncio.run(deadline_watch())["escalated"] == []
    session.rollback()
    kinds = sorted(n.kind for n in session.exec(select(Notification)).all())
    assert kinds == ["deadline_reminder", "escalation"]
    case = session.exec(select(MatterCase)).one()
    assert case.status == "pending_decision" and case.details["escalated_at"].startswith("2026-12-15")
    assert session.exec(select(Event).where(Event.actor == "deadline-watch")).one().note.startswith("escalated")


def test_the_sweeper_takes_up_what_stopped_and_leaves_what_just_started(prefect, session, catalogue, form):
    """One application was submitted 20 minutes ago and its process killed before anything ran; one
    was submitted a minute ago (its run may be under way): the sweeper finishes the first only."""
    import datetime as dt

    from onematter.flows.followups import sweep_stuck
    from onematter.case.models import Application, Document
    from onematter.config.settings import now
    from tests.conftest import make_id
    stopped, _ = submit_application(session, parse_intake(form), actor="t")
    stopped.submitted_at = now() - dt.timedelta(minutes=20)
    session.add(stopped)
    for event in session.exec(select(Event).where(Event.application_id == stopped.id)).all():
        event.at = stopped.submitted_at                 # all it did happened then
        session.add(event)
    session.commit()
    fresh_form = {**form, "idempotency_key": "fresh",
                  "applicant": {**form["applicant"], "id_number": make_id("19910101", seq="161")}}
    fresh, _ = submit_application(session, parse_intake(fresh_form), actor="t")
    result = asyncio.run(sweep_stuck())
    assert result == {"resumed": [stopped.application_no], "failed": []}
    session.expire_all()
    assert session.get(Application, stopped.id).status == "awaiting_decision"
    assert session.get(Application, fresh.id).status == "received"
    issued = session.exec(select(Document).where(Document.application_id == stopped.id)).all()
    assert {"form", "receipt", "packet-intake"} <= {d.doc_key for d in issued}
    assert asyncio.run(sweep_stuck()) == {"resumed": [], "failed": []}      # nothing left: nothing twice


def test_job_digest_flow_shows_progress_and_counts_only(prefect, session, catalogue, form, monkeypatch):
    from prefect.client.orchestration import get_client

    from onematter.flows.followups import job_digest
    from onematter.casework.catalogue import import_catalogue, parse_catalogue
    from onematter.matters.job_push.models import JobSubscription
    form["matters"] = {"job_push": {}}
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for c in matter_cases(session, app.id):
        process_matter(session, c.id)
    settle_application(session, app, actor="t")
    import_catalogue(session, parse_catalogue({"postings": [{
        "code": "GW-NEW", "employer": "平湖示例新材料有限公司", "employer_code": "91330482MA2B3C4D5Y", "title": "质检员",
        "category": "制造", "town": "钟埭街道", "salary_min": 6000, "salary_max": 9000, "education_min": "初中",
        "headcount": 1, "veteran_preferred": True, "valid_until": "2027-01-31"}]}))
    session.commit()
    assert session.exec(select(JobSubscription)).one().active
    result = asyncio.run(job_digest(day="2026-12-01"))
    assert result["written"] == 1

    async def artifacts():
        async with get_client() as client:
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["job-digest-progress"])))
    found = asyncio.run(artifacts())
    assert found and found[0].type == "progress" and float(found[0].data) == 100.0
    session.rollback()
    note = session.exec(select(Notification).where(Notification.kind == "job_digest")).one()
    assert note.payload["postings"] == ["GW-NEW"]
