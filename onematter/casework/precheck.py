"""预审 (domain.md §1.1, 当场更正): what each chosen matter's rules will decide for a form, before
it is submitted — computed by the processing itself, in a transaction that is rolled back, so the
window sees exactly what submitting would do and nothing is stored."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from onematter import matters
from onematter.case.forms import FormError
from onematter.case.models import Application, Person
from onematter.case.people import with_id_number
from onematter.casework import materials
from onematter.casework.applications import check_catalogue_references, create_application, matter_cases
from onematter.casework.intake import Intake
from onematter.casework.processing import process_matter
from onematter.config.settings import today

ELIGIBLE, REVIEW, REFUSED = "eligible", "review", "refused"


def precheck(session: Session, intake: Intake) -> dict:
    """{"matters": {key: {"outcome": eligible | review | refused, "status", "label", "text",
    "reason", "materials": [names]}}, "open_application": no | None}; FormError for catalogue
    codes the catalogue does not know. Rolls the session back: nothing is stored."""
    try:
        person = session.exec(select(Person).where(with_id_number(intake.applicant.id_number))).first()
        open_app = person and session.exec(select(Application).where(Application.open_person_id == person.id)).first()
        if open_app:
            return {"matters": {}, "open_application": open_app.application_no}
        check_catalogue_references(session, intake)
        app = create_application(session, intake, key=f"precheck-{uuid.uuid4()}", day=today(), actor="precheck")
        result = {}
        for case in matter_cases(session, app.id):
            case = process_matter(session, case.id, actor="precheck", check_materials=False)
            spec = matters.spec(case.matter)
            if case.status == "refused":
                outcome, text = REFUSED, f"将不予受理：{case.reason}"
            elif spec.decision and case.status == spec.decision.waiting:
                outcome, text = REVIEW, "符合受理条件，提交后由审核人员审核"
            else:
                outcome, text = ELIGIBLE, f"符合条件，提交后：{spec.label(case.status)}"
            result[case.matter] = {"outcome": outcome, "status": case.status, "label": spec.label(case.status),
                                   "text": text, "reason": case.reason,
                                   "materials": [m.name for m in materials.needed([case.matter])]}
        return {"matters": result, "open_application": None}
    except IntegrityError:
        raise FormError({"form": "预审未完成：该申请人的申请正在另一处提交，请稍后再试"}) from None
    finally:
        session.rollback()


def signing_context(session: Session, intake: Intake) -> dict:
    """The 一件事联办申请表 as typed, to print for the applicant's signature before submitting
    (待签字): the form document's context for an application made in a transaction that is
    rolled back, without its number (given at submission) and marked as a draft that cannot be
    verified. Nothing is stored."""
    from onematter.casework.issuing import build_context
    try:
        check_catalogue_references(session, intake)
        app = create_application(session, intake, key=f"preview-{uuid.uuid4()}", day=today(), actor="preview")
        ctx = build_context(session, app, "form")
    except IntegrityError:
        raise FormError({"form": "该申请人的申请正在另一处提交，请稍后再试"}) from None
    finally:
        session.rollback()
    ctx["application"] = {**ctx["application"], "no": "提交后生成"}
    ctx["doc"] = {**ctx["doc"], "number": "待签字", "draft": True, "qr": False}
    return ctx
