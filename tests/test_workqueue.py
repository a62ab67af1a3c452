"""The warm workers' queue: what a row asks for (the application's flow, or the documents a
decision made due), and a request made while the row runs is run right after, never lost."""

import datetime as dt

from sqlmodel import select

from onematter.case import workqueue
from onematter.case.models import WorkItem
from onematter.casework.applications import submit_application
from onematter.casework.intake import parse_intake


def _item(session, app) -> WorkItem:
    session.commit()                         # a fresh snapshot: the queue's own units of work committed
    session.expire_all()
    return session.exec(select(WorkItem).where(WorkItem.application_id == app.id)).one()


def _claim(worker: str = "w1") -> workqueue.Claim:
    claim = workqueue.claim(worker, 30)
    assert claim is not None
    return claim


def test_a_decision_while_the_application_runs_is_run_right_after(session, catalogue, form):
    app, _ = submit_application(session, parse_intake(form), actor="t")
    assert workqueue.enqueue(session, app.id)
    session.commit()
    first = _claim()
    assert (first.application_id, first.purpose) == (app.id, "application")
    # the supervisor decides while the application's run is finishing: asked for, not dropped
    assert workqueue.enqueue(session, app.id, workqueue.DOCUMENTS)
    session.commit()
    assert (_item(session, app).state, _item(session, app).again) == ("running", "documents")
    assert workqueue.finish(first, "w1") == "queued"
    item = _item(session, app)
    assert (item.purpose, item.again, item.attempts) == ("documents", None, 0)
    second = _claim("w2")
    assert (second.application_id, second.purpose) == (app.id, "documents")
    assert workqueue.finish(second, "w2") == "done"
    assert workqueue.claim("w1", 30) is None


def test_the_wider_request_wins_and_a_finished_row_is_queued_for_what_is_asked(session, catalogue, form):
    app, _ = submit_application(session, parse_intake(form), actor="t")
    workqueue.enqueue(session, app.id)
    session.commit()
    workqueue.finish(_claim(), "w1")
    assert _item(session, app).state == "done"
    assert workqueue.enqueue(session, app.id, workqueue.DOCUMENTS)            # done: queued again
    session.commit()
    assert (_item(session, app).state, _item(session, app).purpose) == ("queued", "documents")
    assert not workqueue.enqueue(session, app.id)                             # queued: widened, not doubled
    session.commit()
    assert _item(session, app).purpose == "application"
    assert len(session.exec(select(WorkItem)).all()) == 1


def test_a_worker_stopped_or_lost_hands_on_what_was_asked_meanwhile(session, catalogue, form):
    app, _ = submit_application(session, parse_intake(form), actor="t")
    workqueue.enqueue(session, app.id, workqueue.DOCUMENTS)
    session.commit()
    claim = _claim()
    workqueue.enqueue(session, app.id)                   # a resume while the documents run goes on
    session.commit()
    workqueue.release(claim, "w1")                       # Ctrl-C: due at once, with both requests
    item = _item(session, app)
    assert (item.state, item.purpose, item.again) == ("queued", "application", None)
    claim = _claim()
    session.commit()
    workqueue.enqueue(session, app.id, workqueue.DOCUMENTS)
    item = _item(session, app)
    item.lease_until = item.lease_until - dt.timedelta(minutes=5)     # the worker died: its lease ran out
    session.add(item)
    session.commit()
    taken = _claim("w2")
    assert (taken.taken_from, taken.purpose) == ("w1", "application")
    assert _item(session, app).again is None
