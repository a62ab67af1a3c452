"""Applications, as every front end uses them: apply (store the one form, hand it over), resume,
one application's view (the CLI's JSON contract, with what is left to do), the list."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Session, select

from onematter.case.lifecycle import NotFound, get_application
from onematter.case.models import Application, Person
from onematter.casework.applications import submit_application
from onematter.casework.comments import add_comment
from onematter.casework.dossier import kind
from onematter.case.forms import FormError
from onematter.casework import materials
from onematter.casework.intake import Intake, parse_intake
from onematter.casework.precheck import precheck as casework_precheck
from onematter.casework.precheck import signing_context
from onematter.documents import scans
from onematter.documents.scans import Scan
from onematter.casework.progress import progress
from onematter.casework.views import application_view
from onematter.config.db import session_scope
from onematter.services import handover
from onematter.services.scope import visible_application


read_materials = materials.read      # the CLI's name for it


def prepare(data: object, base: Path) -> tuple[Intake, dict[str, list[Scan]]]:
    """An intake file's contents as the validated form and its checked scans (its `materials`,
    paths relative to `base`): FormError with every field's error at once, nothing stored."""
    intake = parse_intake(data)
    return intake, materials.check(read_materials(intake.materials, base))


def check_scans(files: dict[str, list[tuple[str, bytes]]]) -> dict[str, list[Scan]]:
    """Scans presented at the window, by material key, checked by content (FormError naming
    `materials.<key>`); nothing stored."""
    return materials.check(files)


def apply(*, intake: Intake, actor: str, wait: bool = True, background: bool = False,
          scans_presented: dict[str, list[Scan]] | None = None) -> dict:
    """Store a validated intake (one application per idempotency key; a stopped one of the same
    person is taken up) with its checked scans, and hand it over unless nothing is left to do.
    Raises IntakeError, OpenApplicationExists, ProcessingFailed (the application is kept)."""
    with session_scope() as session:
        app, created = submit_application(session, intake, actor=actor)
        application_id, application_no = app.id, app.application_no
        if scans_presented:
            materials.attach(session, application_id, scans_presented, by=actor)
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


def made_by_key(*, key: str | None, id_number: str) -> str | None:
    """The number of the application this form's key already made for this person (a resubmit:
    Back, a second tab), or None."""
    if not key:
        return None
    with session_scope(readonly=True) as session:
        app = session.exec(select(Application).where(Application.idempotency_key == key)).first()
        if app is None or session.get(Person, app.person_id).id_number != id_number:
            return None
        return app.application_no


def by_key(session: Session, key: str) -> str:
    """The number of the application an idempotency key made. Raises NotFound."""
    app = session.exec(select(Application).where(Application.idempotency_key == key)).first()
    if app is None:
        raise NotFound(f"找不到申请表编号 {key} 的联办申请")
    return app.application_no


def missing_titles(keys: list[str]) -> list[str]:
    return [kind(k).title for k in keys]


def applications(session: Session, *, status: str | None = None) -> list[dict]:
    """Every application, newest first (the CLI's `list`)."""
    query = select(Application).order_by(Application.application_no.desc())
    if status:
        query = query.where(Application.status == status)
    return [application_view(session, a) for a in session.exec(query).all()]


def precheck(*, data: object) -> dict:
    """预审: what each chosen matter's rules will decide for this form, storing nothing. The form's
    own errors come back as `errors` (nothing is decided until it is complete)."""
    try:
        intake = parse_intake(data)
    except FormError as exc:
        return {"errors": exc.fields, "matters": {}, "open_application": None}
    with session_scope() as session:
        try:
            return {"errors": {}} | casework_precheck(session, intake)
        except FormError as exc:
            return {"errors": exc.fields, "matters": {}, "open_application": None}


def signing_form(*, data: object) -> bytes:
    """The 一件事联办申请表 as typed, marked 待签字, as a PDF to print before submitting (the
    signed scan is the `signed_form` material). FormError: the form's own errors. Stores nothing."""
    from onematter.casework.dossier import kind
    from onematter.documents import render
    intake = parse_intake(data)
    with session_scope() as session:
        ctx = signing_context(session, intake)
    return render.render(kind("form").template, ctx).pdf


def refusals(checked: dict) -> dict[str, str]:
    """The matters a precheck says will be refused: {matter: the text}."""
    return {k: v["text"] for k, v in checked.get("matters", {}).items() if v["outcome"] == "refused"}


def comment(*, application_no: str, text: str, user, viewer) -> dict:
    """备注 on a case this viewer may see, by the signed-in `user`: {id, at}. Raises NotFound
    (another station's too) and FormError naming `comment`."""
    with session_scope() as session:
        app = visible_application(session, application_no, viewer)
        made = add_comment(session, app, text=text, username=user.username, name=user.name, station=user.station)
        return {"id": made.id, "at": made.at.isoformat()}
