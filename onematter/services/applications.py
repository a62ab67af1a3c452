"""Applications, as every front end uses them: apply (store the one form, hand it over), resume,
one application's view (the CLI's JSON contract, with what is left to do), the list."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from onematter.case.lifecycle import get_application
from onematter.case.models import Application
from onematter.casework.applications import submit_application
from onematter.casework.dossier import kind
from onematter.casework.intake import Intake
from onematter.casework.progress import progress
from onematter.casework.views import application_view
from onematter.config.db import session_scope
from onematter.services import handover


def apply(*, intake: Intake, actor: str, wait: bool = True, background: bool = False) -> dict:
    """Store a validated intake (one application per idempotency key; a stopped one of the same
    person is taken up) and hand it over unless nothing is left to do. Raises IntakeError,
    OpenApplicationExists, ProcessingFailed (the application is kept)."""
    with session_scope() as session:
        app, created = submit_application(session, intake, actor=actor)
        application_id, application_no = app.id, app.application_no
    handed = continue_work(application_id=application_id, application_no=application_no, wait=wait,
                           background=background)
    return {"application_id": application_id, "application_no": application_no, "created": created,
            "handed_over": handed}


def continue_work(*, application_id: uuid.UUID, application_no: str, wait: bool = True, background: bool = False,
                  force: bool = False) -> bool:
    """Hand the application over when work is left (progress.unfinished), or always when `force`."""
    with session_scope(readonly=True) as session:
        unfinished = progress(session, session.get(Application, application_id)).unfinished
    if not (unfinished or force):
        return False
    handover.hand_over(application_id=application_id, application_no=application_no, wait=wait,
                       background=background)
    return True


def resume(*, application_no: str, wait: bool = True, background: bool = False, force: bool = False) -> dict:
    """Finish an application whose processing stopped (a killed process, a failed run, a lost
    file). Raises NotFound, ProcessingFailed."""
    with session_scope(readonly=True) as session:
        app = get_application(session, application_no)
        application_id, application_no = app.id, app.application_no
    handed = continue_work(application_id=application_id, application_no=application_no, wait=wait,
                           background=background, force=force)
    return {"application_id": application_id, "application_no": application_no, "handed_over": handed}


def application(session: Session, *, application_no: str | uuid.UUID) -> dict:
    """One application as the CLI prints it (the JSON contract); when the work stopped part-way,
    `missing_documents` and `message` say so and how to finish it. Raises NotFound."""
    app = get_application(session, application_no)
    view = application_view(session, app)
    missing = progress(session, app).missing
    if missing:
        view["missing_documents"] = missing
        view["message"] = (f"办理未完成：应出具的文书缺少 {len(missing)} 份。"
                           f"请运行 onematter resume {view['application_no']} 继续办理并补出文书。")
    return view


def missing_titles(keys: list[str]) -> list[str]:
    return [kind(k).title for k in keys]


def applications(session: Session, *, status: str | None = None) -> list[dict]:
    """Every application, newest first (the CLI's `list`)."""
    query = select(Application).order_by(Application.application_no.desc())
    if status:
        query = query.where(Application.status == status)
    return [application_view(session, a) for a in session.exec(query).all()]
