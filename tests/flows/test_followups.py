"""Deadline watch: a reminder at 1 working day left, escalation when overdue — each once."""

import asyncio

from sqlmodel import select

from flows.followups import deadline_watch
from onematter.cases import matter_cases, settle_application, submit_application
from onematter.intake import parse_intake
from onematter.processing import process_matter
from onematter.models import Event, MatterCase, Notification


def _pending_incentive(session, form):
    form["matters"] = {"employer_incentive": form["matters"]["employer_incentive"]}
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for c in matter_cases(session, app.id):
        process_matter(session, c.id)
    settle_application(session, app, actor="t")
    session.commit()
    return app


def test_reminder_then_escalation_each_once(prefect, session, catalogue, form, monkeypatch):
    from onematter.settings import get_settings
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

    from flows.followups import sweep_stuck
    from onematter.models import Application, Document
    from onematter.settings import now
    from tests.conftest import make_id
    stopped, _ = submit_application(session, parse_intake(form), actor="t")
    stopped.submitted_at = now() - dt.timedelta(minutes=20)
    session.add(stopped)
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
