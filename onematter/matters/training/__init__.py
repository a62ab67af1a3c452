"""职业技能培训 vocational skills training (domain.md §2.1): enrol in a course, or waitlist."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator
from sqlalchemy import func
from sqlmodel import select

from onematter.case.forms import Code, Strict
from onematter.matters.spec import CatalogueList, DocumentKind, MatterSpec
from onematter.matters.training.followups import FOLLOWUPS, TASKS
from onematter.matters.training.models import Course, Enrolment
from onematter.policy import load_policy
from onematter.rules import Outcome, refused
from onematter.matters.training import rules
from onematter.matters.training.choices import choices
from onematter.config.settings import today


class TrainingRequest(Strict):
    course: Code


class CourseIn(Strict):
    code: Code
    trade: str = Field(min_length=1)
    mode: Literal["订单式", "定向式", "定岗式"]
    base: str = Field(min_length=1)
    start: dt.date
    end: dt.date
    hours: int = Field(gt=0, le=10_000)
    capacity: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _dates(self):
        if self.end < self.start:
            raise ValueError("结业日期不能早于开班日期")
        return self


def names(session, request: dict) -> dict[str, str]:
    course = session.exec(select(Course).where(Course.code == request.get("course"))).first()
    return {"course": f"{course.trade}（{course.mode}，{course.base}）"} if course else {}


def references(session, request: TrainingRequest) -> dict[str, str]:
    if not session.exec(select(Course).where(Course.code == request.course)).first():
        return {"course": f"培训课程代码“{request.course}”不存在，请核对课程目录"}
    return {}


def handle(session, case, app, person) -> Outcome:
    course = session.exec(select(Course).where(Course.code == case.request["course"]).with_for_update()).one()
    cite = load_policy().citations["training"]
    mine = session.exec(select(Enrolment).where(Enrolment.person_id == person.id,
                                                Enrolment.status.in_(["enrolled", "waitlisted"]))).all()
    if any(e.course_id == course.id for e in mine):
        outcome = refused("already_enrolled", "您已报名该课程，无需重复报名。", cite)
    else:
        others = [session.get(Course, e.course_id) for e in mine]
        overlapping = any(o.start <= course.end and course.start <= o.end for o in others)
        counts = dict(session.exec(select(Enrolment.status, func.count()).where(
            Enrolment.course_id == course.id).group_by(Enrolment.status)).all())
        outcome = rules.assess_training(
            start=course.start, capacity=course.capacity, enrolled=counts.get("enrolled", 0),
            waitlisted=counts.get("waitlisted", 0), overlapping=overlapping, today=today(), citation=cite)
    details = {"course": course.code, "waitlist_position": outcome.details.get("waitlist_position")}
    if outcome.status != "refused":
        session.add(Enrolment(course_id=course.id, person_id=person.id, matter_case_id=case.id,
                              status=outcome.status, waitlist_position=details["waitlist_position"]))
    return outcome.with_details(details)


def confirmation_context(session, case, view: dict) -> dict:
    course = session.exec(select(Course).where(Course.code == case.details["course"])).one()
    base = load_policy().training_bases.get(course.base)
    return {"course": {"code": course.code, "trade": course.trade, "mode": course.mode, "base": course.base,
                       "start": course.start.isoformat(), "end": course.end.isoformat(), "hours": course.hours,
                       "address": base.address if base else "", "reporting": base.reporting if base else ""},
            "case": view | {"waitlist_position": case.details.get("waitlist_position")},
            "rule": load_policy().citations["training"]}


def _day(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def facts(session, case) -> list[str]:
    course = session.exec(select(Course).where(Course.code == case.details.get("course"))).first()
    if course is None:
        return []
    base = load_policy().training_bases.get(course.base)
    lines = [f"课程 {course.code}：{course.trade}（{course.mode}，{course.hours}学时），"
             f"{_day(course.start)}至{_day(course.end)}",
             f"地点：{course.base}" + (f"，{base.address}" if base and base.address else "")]
    if case.details.get("waitlist_position"):
        lines.append(f"候补第 {case.details['waitlist_position']} 位")
    return lines


def sample_courses(today: dt.date) -> list[dict]:
    d = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    return [
        {"code": "PX-QCWX-01", "trade": "汽车维修（示例）", "mode": "订单式", "base": "平湖市退役军人就业创业培训基地",
         "start": d(14), "end": d(44), "hours": 120, "capacity": 30},
        {"code": "PX-DZSW-01", "trade": "电子商务（示例）", "mode": "定向式", "base": "平湖市退役军人就业创业培训基地",
         "start": d(21), "end": d(35), "hours": 80, "capacity": 25},
        {"code": "PX-TZJX-01", "trade": "特种机械操作（示例）", "mode": "定岗式", "base": "独山港镇实训中心（示例）",
         "start": d(10), "end": d(40), "hours": 160, "capacity": 2},
    ]


SPEC = MatterSpec(
    key="training", order=10, title="职业技能培训", short="培训",
    request=TrainingRequest,
    labels={"enrolled": "报名成功", "waitlisted": "候补", "refused": "不予受理"},
    # waitlisted → enrolled arrives with the seat-freed follow-up (domain.md §4), not before
    transitions={"pending": frozenset({"enrolled", "waitlisted", "refused"})},
    handle=handle,
    detail_keys=("course", "waitlist_position"),
    facts=facts,
    form_partial="training/_request.html",
    documents=(DocumentKind("training", 3, "职业技能培训报名确认书", "training/document.html",
                            frozenset({"enrolled", "waitlisted"}), confirmation_context),),
    refusal_number=11,
    refusal_subject=lambda case: [{"label": "培训课程编号", "value": case.request["course"]}],
    refusal_advice="可选择尚未开班、仍有名额的其他课程，到受理窗口重新报名。",
    references=references,
    names=names,
    catalogue=(CatalogueList("courses", CourseIn, Course, sample_courses),),
    choices=choices,
    followups=FOLLOWUPS, tasks=TASKS,
)
