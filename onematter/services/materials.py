"""The one set of materials (一套材料): what the window takes (policy data), scans added later, a
stored scan for the staff page."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from onematter import matters
from onematter.case.lifecycle import get_application
from onematter.casework import materials as casework_materials
from onematter.config.db import session_scope
from onematter.services import applications
from onematter.services.scope import EVERYONE, Viewer, visible_application
from onematter.policy import load_policy


def items() -> list[dict]:
    """Every material of the policy in force, in its order: key, name, what is taken, the matters
    that need it (`all`: every application) and whether it is waived (`shared`)."""
    return [m.model_dump() for m in load_policy().materials]


def needed_by_text(needed_by: list[str]) -> str:
    """`every application` or the matters' titles, for people."""
    if "all" in needed_by:
        return "每件申请"
    return "、".join(matters.spec(k).title for k in needed_by)


def add(*, application_no: str, item: str, files: list[tuple[str, bytes]], by: str, wait: bool = True,
        background: bool = False, viewer: Viewer = EVERYONE) -> dict:
    """补正 at the window or later: scans added to an application's material (checked as at intake:
    FormError naming `materials.<item>`, nothing stored; NotFound). A matter whose materials are
    now complete is accepted today and proceeds at once (handed over, waited for unless
    `background`). Returns the application number, how many files were new, the matters that
    moved on, and the application as `show` prints it."""
    with session_scope(readonly=True) as session:
        visible_application(session, application_no, viewer)          # NotFound before any file is read
    checked = casework_materials.check({item: files})
    with session_scope() as session:
        app = get_application(session, application_no)
        added = casework_materials.attach(session, app.id, checked, by=by)
        moved = casework_materials.complete_waiting(session, app, actor=by)
        application_id, application_no = app.id, app.application_no
    if moved:
        applications.continue_work(application_id=application_id, application_no=application_no, wait=wait,
                                   background=background, force=True)
    with session_scope(readonly=True) as session:
        view = applications.application(session, application_no=application_no)
    return {"application_no": application_no, "item": item, "added": added, "proceeded": moved,
            "materials": view["materials"], "application": view}


def scan_file(session: Session, *, application_no: str, sha256: str,
              viewer: Viewer = EVERYONE) -> tuple[Path, str, str] | None:
    """A stored scan of an application this viewer may see (path, media type, file name as
    presented), or None. Raises NotFound."""
    app = visible_application(session, application_no, viewer)
    row = next((f for f in casework_materials.files_of(session, app.id) if f.sha256 == sha256), None)
    if row is None:
        return None
    path = casework_materials.path_of(row)
    return (path, row.media_type, row.filename) if path.is_file() else None
