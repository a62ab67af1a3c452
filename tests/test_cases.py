"""Intake stored as a case: numbers, idempotency, one open application, transitions, events."""

import threading

import pytest
from sqlmodel import select

from onematter.case.lifecycle import IllegalTransition, OpenApplicationExists
from onematter.casework.applications import matter_cases, submit_application, transition
from onematter.config.db import session_scope
from onematter.casework.intake import IntakeError, parse_intake
from onematter.case.models import Application, Event, MatterCase, Person
from tests.conftest import make_id


def test_submission_creates_application_cases_and_event(session, catalogue, form):
    app, created = submit_application(session, parse_intake(form), actor="staff:王珏")
    assert created
    assert app.application_no == "PHYJS-20261130-0001"
    assert app.status == "received" and app.open_person_id == app.person_id
    cases = matter_cases(session, app.id)
    assert [c.matter for c in cases] == ["training", "education", "job_push", "job_fair", "employer_incentive"]
    # deadlines: working days from Monday 2026-11-30; the application's is the latest (10 → 12-14)
    assert {c.matter: c.deadline.isoformat() for c in cases}["job_push"] == "2026-12-01"
    assert app.deadline.isoformat() == "2026-12-14"
    events = session.exec(select(Event).where(Event.application_id == app.id)).all()
    assert [(e.entity, e.to_status, e.actor) for e in events] == [("application", "received", "staff:王珏")]


def test_same_idempotency_key_returns_the_same_application(session, catalogue, form):
    first, _ = submit_application(session, parse_intake(form), actor="t")
    again, created = submit_application(session, parse_intake(form), actor="t")
    assert not created and again.id == first.id
    assert len(session.exec(select(Application)).all()) == 1


def test_form_without_key_resubmitted_is_not_stored_twice(session, catalogue, form):
    del form["idempotency_key"]
    first, _ = submit_application(session, parse_intake(form), actor="t")
    again, created = submit_application(session, parse_intake(form), actor="t")
    assert not created and again.id == first.id


def test_one_open_application_per_person(session, catalogue, form):
    from onematter.casework.applications import settle_application
    from onematter.casework.processing import process_matter
    first, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, first.id):
        process_matter(session, case.id)
    settle_application(session, first, actor="t")
    session.commit()
    assert first.status == "awaiting_decision"
    form["idempotency_key"] = "another"
    with pytest.raises(OpenApplicationExists) as info:
        submit_application(session, parse_intake(form), actor="t")
    assert (info.value.application_no, info.value.status) == ("PHYJS-20261130-0001", "awaiting_decision")
    assert len(session.exec(select(Application)).all()) == 1


def test_a_stuck_open_application_is_taken_up_by_the_persons_form_on_another_day(session, catalogue, form,
                                                                                  monkeypatch):
    """Applied, the process killed before anything was decided; the next day the clerk submits the
    person's form again (a new derived key): the stuck application comes back, no second one."""
    del form["idempotency_key"]
    first, created = submit_application(session, parse_intake(form), actor="t")
    assert created and first.status == "received"
    monkeypatch.setenv("ONEMATTER_TODAY", "2026-12-01")
    from onematter.config.settings import get_settings
    get_settings.cache_clear()
    again, created = submit_application(session, parse_intake(form), actor="t")
    assert not created and again.id == first.id
    assert len(session.exec(select(Application)).all()) == 1


def test_an_idempotency_key_belongs_to_one_person(session, catalogue, form):
    submit_application(session, parse_intake(form), actor="t")
    form["applicant"]["id_number"] = make_id("19900101", seq="155")      # another person, the same key
    with pytest.raises(IntakeError) as info:
        submit_application(session, parse_intake(form), actor="t")
    assert list(info.value.fields) == ["idempotency_key"]
    assert len(session.exec(select(Application)).all()) == 1


def test_unknown_catalogue_code_is_a_form_error_and_stores_nothing(session, catalogue, form):
    form["matters"]["training"]["course"] = "NOPE"
    with pytest.raises(IntakeError) as info:
        submit_application(session, parse_intake(form), actor="t")
    assert "NOPE" in info.value.fields["matters.training.course"]
    assert session.exec(select(Person)).all() == []


def test_serials_never_repeat_under_concurrent_intake(db, catalogue, form):
    forms = []
    for i in range(8):
        f = {**form, "idempotency_key": f"k{i}",
             "applicant": {**form["applicant"], "id_number": make_id("19900101", seq=f"{100 + i}")}}
        forms.append(parse_intake(f))
    numbers, errors = [], []

    def submit(intake):
        try:
            with session_scope() as s:
                numbers.append(submit_application(s, intake, actor="t")[0].application_no)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(f,)) for f in forms]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sorted(numbers) == [f"PHYJS-20261130-{i:04d}" for i in range(1, 9)]


def test_transition_table_refuses_illegal_moves_and_logs_legal_ones(session, catalogue, form):
    app, _ = submit_application(session, parse_intake(form), actor="t")
    case = session.exec(select(MatterCase).where(MatterCase.matter == "education")).one()
    with pytest.raises(IllegalTransition):
        transition(session, case, "approved", actor="t")
    transition(session, case, "registered", actor="tester", flow_run_id="run-1")
    with pytest.raises(IllegalTransition):
        transition(session, case, "refused", actor="t")
    session.commit()
    event = session.exec(select(Event).where(Event.entity == "matter:education")).one()
    assert (event.from_status, event.to_status, event.actor, event.flow_run_id) == ("pending", "registered", "tester", "run-1")


def test_a_case_just_decided_is_not_stuck_while_its_documents_render(session, catalogue, form):
    """Submitted an hour ago, decided just now: its decision's documents are due and not yet
    rendered — unfinished, but not stuck (the case page shows no false alarm); quiet for an hour,
    it is."""
    import datetime as dt

    from onematter.casework.issuing import issue_all
    from onematter.casework.processing import process_matter, record_decision
    from onematter.casework.applications import settle_application
    from onematter.casework.progress import progress
    from onematter.config.settings import now
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    issue_all(session, app.id)
    hour_ago = now() - dt.timedelta(hours=1)

    def age() -> None:
        app.submitted_at = hour_ago
        for event in session.exec(select(Event).where(Event.application_id == app.id)).all():
            event.at = hour_ago
            session.add(event)
        session.add(app)
        session.commit()
    age()
    assert not progress(session, app).unfinished
    record_decision(session, app.application_no, approve=True, by="李科长", comment=None, source="cli")
    session.commit()
    state = progress(session, app)
    assert state.unfinished and "completion" in state.missing and not state.stuck
    age()
    assert progress(session, app).stuck


def test_an_application_whose_attempts_all_failed_is_the_sweepers_once_the_queue_gave_up(session, catalogue, form):
    """A long fault (a full disk): the queue tried 5 times and marked the item failed. Nobody has to
    resume it by hand: it is among what `sweep-stuck` takes up (every 10 minutes) — and while the
    queue still retries it (queued after a pause), it is not."""
    from onematter.case import workqueue
    from onematter.case.models import WorkItem
    from onematter.casework.progress import stuck_applications
    app, _ = submit_application(session, parse_intake(form), actor="t")
    workqueue.enqueue(session, app.id)
    session.commit()
    item = session.exec(select(WorkItem).where(WorkItem.application_id == app.id)).one()
    item.attempts, item.last_error = 3, "OSError: [Errno 28] No space left on device"
    session.add(item)
    session.commit()
    assert app.id not in stuck_applications(session)           # queued: the queue's own retry comes first
    workqueue.record_outcome(session, app.id, "OSError: [Errno 28] No space left on device")
    session.commit()
    assert item.state == "failed" and app.id in stuck_applications(session)
