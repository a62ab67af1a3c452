"""学历教育提升 academic education upgrade (domain.md §2.2): register with a programme."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator
from sqlmodel import select

from onematter.case.forms import Code, Strict
from onematter.matters.spec import CatalogueList, DocumentKind, MatterSpec
from onematter.matters.education.models import EducationRegistration, Programme
from onematter.policy import load_policy
from onematter.rules import Outcome, refused
from onematter.matters.education import rules
from onematter.matters.education.choices import choices
from onematter.config.settings import today


class EducationRequest(Strict):
    programme: Code


class ProgrammeIn(Strict):
    code: Code
    level: Literal["大专", "本科"]
    school: str = Field(min_length=1)
    major: str = Field(min_length=1)
    intake: str = Field(min_length=1)
    opens: dt.date
    closes: dt.date

    @model_validator(mode="after")
    def _dates(self):
        if self.closes < self.opens:
            raise ValueError("报名截止日期不能早于开始日期")
        return self


def names(session, request: dict) -> dict[str, str]:
    programme = session.exec(select(Programme).where(Programme.code == request.get("programme"))).first()
    return {"programme": f"{programme.school} {programme.major}（{programme.level}）"} if programme else {}


def references(session, request: EducationRequest) -> dict[str, str]:
    if not session.exec(select(Programme).where(Programme.code == request.programme)).first():
        return {"programme": f"学历提升专业代码“{request.programme}”不存在，请核对专业目录"}
    return {}


def handle(session, case, app, person) -> Outcome:
    prog = session.exec(select(Programme).where(Programme.code == case.request["programme"])).one()
    applicant = app.form["applicant"]
    cite = load_policy().citations["education"]
    if session.exec(select(EducationRegistration).where(EducationRegistration.programme_id == prog.id,
                                                        EducationRegistration.person_id == person.id)).first():
        outcome = refused("already_registered", "您已报名该专业，无需重复报名。", cite)
    else:
        outcome = rules.assess_education(category=applicant["category"], education=applicant["education"],
                                         level=prog.level, opens=prog.opens, closes=prog.closes,
                                         today=today(), citation=cite)
    if outcome.status == "registered":
        session.add(EducationRegistration(programme_id=prog.id, person_id=person.id, matter_case_id=case.id))
    return outcome.with_details({"programme": prog.code})


def registration_context(session, case, view: dict) -> dict:
    p = session.exec(select(Programme).where(Programme.code == case.details["programme"])).one()
    return {"programme": {"code": p.code, "level": p.level, "school": p.school, "major": p.major,
                          "intake": p.intake, "opens": p.opens.isoformat(), "closes": p.closes.isoformat()},
            "rule": load_policy().citations["education"], "case": view,
            "tuition": load_policy().education_tuition or ""}


def _day(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def facts(session, case) -> list[str]:
    p = session.exec(select(Programme).where(Programme.code == case.details.get("programme"))).first()
    if p is None:
        return []
    return [f"专业 {p.code}：{p.school} {p.major}（{p.level}，{p.intake}）",
            f"报名 {_day(p.opens)}至{_day(p.closes)}"]


def sample_programmes(today: dt.date) -> list[dict]:
    d = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    return [
        {"code": "XL-DZ-JD", "level": "大专", "school": "嘉兴职业技术学院（示例）", "major": "机电一体化技术",
         "intake": f"{today.year + 1}年春季班", "opens": d(-10), "closes": d(30)},
        {"code": "XL-BK-GL", "level": "本科", "school": "嘉兴大学（示例）", "major": "工商管理（专升本）",
         "intake": f"{today.year + 1}年春季班", "opens": d(-10), "closes": d(30)},
    ]


SPEC = MatterSpec(
    key="education", order=20, title="学历教育提升", short="学历",
    request=EducationRequest,
    labels={"registered": "已登记报送", "refused": "不予受理"},
    transitions={"pending": frozenset({"registered", "refused"})},
    handle=handle,
    detail_keys=("programme",),
    facts=facts,
    form_partial="education/_request.html",
    documents=(DocumentKind("education", 4, "学历提升教育报名登记表", "education/document.html",
                            frozenset({"registered"}), registration_context),),
    refusal_number=12,
    refusal_subject=lambda case: [{"label": "报考专业编号", "value": case.request["programme"]}],
    refusal_advice={"not_veteran_soldier": None,           # an officer: nothing to cure
                    "already_holds_level": "可选择更高层次的专业，到受理窗口重新报名。",
                    "education_prerequisite": "取得相应学历后，可到受理窗口重新申请。",
                    "window_not_open": "可在专业报名时间内到受理窗口重新申请。",
                    "*": "可关注下一期专业报名，在报名时间内到受理窗口重新申请。"},
    references=references,
    names=names,
    catalogue=(CatalogueList("programmes", ProgrammeIn, Programme, sample_programmes),),
    choices=choices,
)
