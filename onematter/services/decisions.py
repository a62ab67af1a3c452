"""A supervisor's decision, from the CLI or the staff page (the Prefect form records its own,
through the same casework function): the first decision wins; a form waiting in the Prefect UI is
voided visibly; the documents the decision produces are issued."""

from __future__ import annotations

import threading

from onematter.case.lifecycle import get_application
from onematter.casework.processing import DECISION_SOURCES, deciding_matter, record_decision
from onematter.config.db import session_scope
from onematter.config.embedded import served
from onematter.casework import claims
from onematter.services import handover, queries

def decide(*, application_no: str, matter: str | None, approve: bool, by: str, comment: str | None,
           source: str, background: bool = False) -> dict:
    """Record the decision (DecisionRefused, NotFound when it cannot be taken) and issue its
    documents (ProcessingFailed when that fails: the decision stays recorded)."""
    with session_scope() as session:
        matter = deciding_matter(session, get_application(session, application_no), matter).key
        app = record_decision(session, application_no, matter=matter, approve=approve, by=by, comment=comment,
                              source=source)
        application_id, application_no = app.id, app.application_no
    if served():
        void = lambda: handover.void_open_decision_runs(application_no, matter, by, via=DECISION_SOURCES.get(source, source),  # noqa: E731
                                                         verdict="通过" if approve else "不予通过")
        if background:
            threading.Thread(target=void, daemon=True, name="void-decision-form").start()
        else:
            void()
    handover.issue_documents(application_id=application_id, application_no=application_no, background=background)
    return {"application_id": application_id, "application_no": application_no, "matter": matter}


def claim(*, application_no: str, matter: str, by: str, actor: str) -> None:
    """认领 a decision (ClaimRefused, NotFound)."""
    with session_scope() as session:
        claims.claim(session, application_no, matter, by=by, actor=actor)


def release(*, application_no: str, matter: str, by: str, actor: str) -> None:
    """Give a claimed decision back to the queue (its claimant only)."""
    with session_scope() as session:
        claims.release(session, application_no, matter, by=by, actor=actor)


def reassign(*, application_no: str, matter: str, by: str, to: str, note: str, actor: str) -> None:
    """Hand a decision to another supervisor, with a note: to an active supervisor only."""
    with session_scope() as session:
        if to not in queries.supervisors(session):
            raise claims.ClaimRefused(f"没有名为“{to[:30]}”的审核人员")
        claims.reassign(session, application_no, matter, by=by, to=to, note=note, actor=actor)
