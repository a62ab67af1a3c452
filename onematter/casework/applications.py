"""An application taken in: the one form stored (its person, number, matters and deadlines), its
matters in registry order, and settling it once its matters are decided."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from onematter import matters
from onematter.casework.intake import Intake, IntakeError
from onematter.case.lifecycle import STUCK_STATUSES, OpenApplicationExists, change_status, next_application_no
from onematter.case.models import Application, Decision, Event, MatterCase, Person
from onematter.case.people import with_id_number
from onematter.matters.spec import MATERIALS_WAITING
from onematter.policy import load_policy
from onematter.rules.identity import birth_date, sex
from onematter.rules.workdays import add_working_days
from onematter.config.settings import now, today

def open_statuses() -> set[str]:
    """Matter statuses that keep an application open (undecided, or waiting for a supervisor)."""
    return set().union(*(s.open_statuses for s in matters.all_specs()))


def transition(
    session: Session, target: Application | MatterCase, to_status: str, *, actor: str,
    flow_run_id: str | None = None, note: str | None = None,
) -> None:
    """Change an application's or a matter case's status (the matter's own transition table)."""
    allowed = None if isinstance(target, Application) else matters.spec(target.matter).table
    change_status(session, target, to_status, actor=actor, allowed=allowed, flow_run_id=flow_run_id, note=note)


# ------------------------------------------------------------------ intake


def idempotency_key(intake: Intake, day: dt.date) -> str:
    if intake.idempotency_key:
        return intake.idempotency_key
    form = intake.model_dump(mode="json", exclude={"idempotency_key"})
    digest = hashlib.sha256(json.dumps([form, day.isoformat()], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"form-{digest[:40]}"


def check_catalogue_references(session: Session, intake: Intake) -> None:
    """Codes on the form that the catalogue does not know are form errors (named by field)."""
    errors: dict[str, str] = {}
    for spec in matters.all_specs():
        request = getattr(intake.matters, spec.key)
        if request is not None and spec.references is not None:
            errors |= {f"matters.{spec.key}.{k}": v for k, v in spec.references(session, request).items()}
    if errors:
        raise IntakeError(errors)


def submit_application(session: Session, intake: Intake, *, actor: str) -> tuple[Application, bool]:
    """Store a validated intake. Returns (application, created). Commits (one unit of work);
    resolves the races of two windows submitting at once by the database's unique keys."""
    day = today()
    key = idempotency_key(intake, day)
    existing = _by_key(session, key, intake)
    if existing:
        return existing, False
    check_catalogue_references(session, intake)
    try:
        app = _create_application(session, intake, key=key, day=day, actor=actor)
        session.commit()
        return app, True
    except (IntegrityError, OpenApplicationExists):
        session.rollback()
        existing = _by_key(session, key, intake)      # the same form, submitted at the same moment
        if existing:
            return existing, False
        person = session.exec(select(Person).where(with_id_number(intake.applicant.id_number))).first()
        open_app = person and session.exec(select(Application).where(Application.open_person_id == person.id)).first()
        if not open_app:
            raise
        if open_app.status in STUCK_STATUSES:
            # open but not waiting on anyone (a run that died, a start that failed): this person's
            # form, submitted again on any day, takes it up where it stopped
            return open_app, False
        raise OpenApplicationExists(open_app.application_no, open_app.status) from None


def _by_key(session: Session, key: str, intake: Intake) -> Application | None:
    """The application this key made — only ever for the same person."""
    existing = session.exec(select(Application).where(Application.idempotency_key == key)).first()
    if existing is None:
        return None
    person = session.get(Person, existing.person_id)
    if person.id_number != intake.applicant.id_number:
        raise IntakeError({"idempotency_key": "该申请表编号已用于另一位申请人的联办申请，请使用新的编号（或不填，由系统生成）"})
    return existing


def create_application(session: Session, intake: Intake, *, key: str, day: dt.date, actor: str) -> Application:
    """The application, its person and its matter cases, flushed, not committed."""
    return _create_application(session, intake, key=key, day=day, actor=actor)


def _create_application(session: Session, intake: Intake, *, key: str, day: dt.date, actor: str) -> Application:
    a = intake.applicant
    person = session.exec(select(Person).where(with_id_number(a.id_number))).first()
    if person is None:
        person = Person(id_number=a.id_number, name=a.name, mobile=a.mobile,
                        birth_date=birth_date(a.id_number), sex=sex(a.id_number))
    else:
        person.name, person.mobile = a.name, a.mobile
        open_app = session.exec(select(Application).where(Application.open_person_id == person.id)).first()
        if open_app:
            raise OpenApplicationExists(open_app.application_no)
    session.add(person)
    session.flush()
    policy = load_policy()
    selected = intake.matters.selected()
    deadlines = {m: add_working_days(day, matters.spec(m).deadline_days(policy), policy) for m in selected}
    app = Application(
        application_no=next_application_no(session, day), idempotency_key=key, person_id=person.id,
        open_person_id=person.id, application_date=day, deadline=max(deadlines.values()), town=a.town,
        staff_name=intake.staff.name, station=intake.staff.station, policy_version=policy.version,
        form=intake.model_dump(mode="json"), materials_tracked="materials" in intake.model_fields_set,
    )
    session.add(app)
    session.flush()
    session.add(Event(application_id=app.id, entity="application", entity_id=app.id, to_status="received", actor=actor))
    for matter in selected:
        request = getattr(intake.matters, matter).model_dump(mode="json")
        session.add(MatterCase(application_id=app.id, matter=matter, request=request,
                               deadline=deadlines[matter], policy_version=policy.version))
    session.flush()
    return app


# ------------------------------------------------------------------ reading


@dataclass
class CaseFile:
    """An application as one unit of work needs it: the row, its person, its matter cases in
    registry order and their decisions — loaded once (three queries) and passed down, instead of
    each step querying the matters again."""
    app: Application
    person: Person
    cases: list[MatterCase]
    decisions: dict[uuid.UUID, Decision]

    def case(self, matter: str) -> MatterCase:
        return next(c for c in self.cases if c.matter == matter)

    def decision(self, case: MatterCase) -> Decision | None:
        return self.decisions.get(case.id)


def load_file(session: Session, application: uuid.UUID | Application) -> CaseFile:
    app = application if isinstance(application, Application) else session.get(Application, application)
    cases = matter_cases(session, app.id)
    decisions = {d.matter_case_id: d for d in session.exec(
        select(Decision).where(Decision.matter_case_id.in_([c.id for c in cases]))).all()} if cases else {}
    return CaseFile(app=app, person=session.get(Person, app.person_id), cases=cases, decisions=decisions)


def matter_cases(session: Session, application_id: uuid.UUID) -> list[MatterCase]:
    order = {key: i for i, key in enumerate(matters.keys())}
    cases = session.exec(select(MatterCase).where(MatterCase.application_id == application_id)).all()
    return sorted(cases, key=lambda c: order[c.matter])


def settle_application(session: Session, app: Application, *, actor: str, flow_run_id: str | None = None) -> None:
    """Move the application on once its matters are decided: completed when every matter is
    final; awaiting_materials while a matter waits for the applicant's materials (补正), else
    awaiting_decision while a supervisor's decision is outstanding."""
    cases = matter_cases(session, app.id)
    if any(c.status == "pending" for c in cases):
        return
    if app.status == "received":
        transition(session, app, "processing", actor=actor, flow_run_id=flow_run_id)
    if any(c.status == MATERIALS_WAITING for c in cases):
        target = "awaiting_materials"
    elif any(c.status in open_statuses() for c in cases):
        target = "awaiting_decision"
    else:
        target = "completed"
    if app.status == target or app.status not in ("processing", "awaiting_decision", "awaiting_materials"):
        return
    transition(session, app, target, actor=actor, flow_run_id=flow_run_id)
    if target == "completed":
        app.open_person_id = None
        app.completed_at = now()
    session.add(app)
