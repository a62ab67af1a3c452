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
