"""Where an application stands in its work — one definition, used by the case page, the CLI's
status, resume and the sweeper: *unfinished* (still received/processing, or a document it is due is
missing) and *stuck* (unfinished, and nobody is working on it: no worker holds it, and either its
hand-over failed or nothing has happened to it for `stuck_after_minutes`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from onematter.case import workqueue
from onematter.case.lifecycle import STUCK_STATUSES
from onematter.case.models import Application, Event, WorkItem
from onematter.casework.dossier import missing_documents
from onematter.config.settings import get_settings, local, now


@dataclass(frozen=True)
class Progress:
    unfinished: bool            # work is left: not yet decided, or a due document is missing
    missing: list[str]          # document kinds due whose file is not there
    held: bool                  # the queue has it: waiting for a worker (maybe to retry), or under a live lease
    failed: str                 # why its last attempt failed ("" when it did not, or it is finished)
    stuck: bool                 # unfinished, and it failed or nobody has worked on it for a while: staff are told
    abandoned: bool             # stuck, and no worker will take it up by itself: the sweeper resumes it


def progress(session: Session, app: Application, *, failed: str = "") -> Progress:
    """`failed`: a failure the caller knows of that the queue does not (a hand-over that never
    reached it)."""
    missing = missing_documents(session, app)
    unfinished = app.status in STUCK_STATUSES or bool(missing)
    item = session.exec(select(WorkItem).where(WorkItem.application_id == app.id)).first()
    held = workqueue.live(session, app.id)
    failed = failed or ((item.last_error or "") if item is not None and item.state in ("queued", "failed") else "")
    # quiet for a while: nothing happened to it since (a decision or a 补正 just made is rendering
    # its documents, not stuck — the clock starts at its last event, not at its submission)
    last = session.exec(select(func.max(Event.at)).where(Event.application_id == app.id)).one() or app.submitted_at
    old = now() - local(max(local(last), local(app.submitted_at))) > dt.timedelta(minutes=get_settings().stuck_after_minutes)
    failed = failed if unfinished else ""
    return Progress(unfinished=unfinished, missing=missing, held=held, failed=failed,
                    stuck=unfinished and (bool(failed) or (old and not held)),
                    abandoned=unfinished and not held and (bool(failed) or old))


def stuck_applications(session: Session) -> list[uuid.UUID]:
    """Open applications whose processing stopped and that no worker will take up by itself (a
    killed process, a start that failed, a worker that gave up, a document that went missing)."""
    return [app.id for app in session.exec(select(Application).where(Application.open_person_id.is_not(None))).all()
            if progress(session, app).abandoned]
