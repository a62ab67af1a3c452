"""就业信息推送 job information push (domain.md §2.3): matching postings now, a daily digest after."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator
from sqlmodel import select

from onematter.case.forms import Code, Strict
from onematter.matters.spec import CatalogueList, DocumentKind, MatterSpec
from onematter.case.models import Notification
from onematter.matters.job_push.models import JobSubscription, Posting, Push
from onematter.policy import load_policy
from onematter.rules import Education, Outcome
from onematter.matters.job_push.followups import FOLLOWUPS
from onematter.matters.job_push.matching import new_matches_for, posting_view  # noqa: F401 — its API
from onematter.rules.identity import normalise_credit_code
from onematter.config.settings import today


class JobPushRequest(Strict):
    pass


class PostingIn(Strict):
    code: Code
    employer: str = Field(min_length=1)
    employer_code: str
    title: str = Field(min_length=1)
    category: str = Field(min_length=1)
    town: str = Field(min_length=1)
    salary_min: int = Field(ge=0, le=10_000_000)
    salary_max: int = Field(ge=0, le=10_000_000)
    education_min: Education
    headcount: int = Field(gt=0, le=1_000_000)
    veteran_preferred: bool = False
    valid_until: dt.date
    contact: str | None = Field(default=None, max_length=100)     # 联系人及电话 (optional)

    _code = field_validator("employer_code")(lambda cls, v: normalise_credit_code(v))

    @model_validator(mode="after")
    def _salary(self):
        if self.salary_max < self.salary_min:
            raise ValueError("月薪上限不能低于下限")
        return self


def handle(session, case, app, person) -> Outcome:
    applicant = app.form["applicant"]
    intentions = applicant.get("intentions") or {}
    sub = session.exec(select(JobSubscription).where(JobSubscription.person_id == person.id)).first() \
        or JobSubscription(person_id=person.id, education=applicant["education"])
    sub.active, sub.education = True, applicant["education"]
    sub.categories, sub.towns = intentions.get("categories") or [], intentions.get("towns") or []
    sub.min_salary = intentions.get("min_salary")
    session.add(sub)
    session.flush()
    found = new_matches_for(session, sub, today())
    for rank, posting in enumerate(found, 1):
        session.add(Push(person_id=person.id, posting_id=posting.id, matter_case_id=case.id, rank=rank))
    codes = [p.code for p in found]
    if codes:
        session.add(Notification(key=f"push:{case.id}", application_id=app.id, person_id=person.id,
                                 kind="job_push", payload={"postings": codes}))
        return Outcome(status="pushed", details={"postings": codes})
    return Outcome(status="no_match", reason_code="no_match_yet",
                   reason="暂无符合您求职意向的岗位，已为您开通每日岗位推送，有新岗位将及时推送。",
                   details={"postings": []})


def list_context(session, case, view: dict) -> dict:
    policy = load_policy()
    codes = case.details.get("postings") or []
    postings = {p.code: p for p in session.exec(select(Posting).where(Posting.code.in_(codes))).all()}
    return {"postings": [
                {"rank": i, "code": p.code, "employer": p.employer, "title": p.title, "category": p.category,
                 "town": p.town, "salary": f"{p.salary_min}～{p.salary_max}元", "education_min": p.education_min,
                 "veteran_preferred": p.veteran_preferred, "valid_until": p.valid_until.isoformat(),
                 "contact": p.contact or ""}
                for i, p in enumerate((postings[code] for code in codes), 1)],
            "case": view, "push_limit": policy.job_push_limit,
            "rule": policy.citations["job_push"]}


def sample_postings(today: dt.date) -> list[dict]:
    d = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    return [
        {"code": "GW-001", "employer": "平湖示例汽车零部件有限公司", "employer_code": "91330482MA2B3C4D5Y",
         "title": "汽车装配技术员", "category": "制造", "town": "钟埭街道", "salary_min": 6000, "salary_max": 9000,
         "education_min": "高中", "headcount": 5, "veteran_preferred": True, "valid_until": d(30),
         "contact": "王经理 0573-85001001（示例）"},
        {"code": "GW-002", "employer": "乍浦示例物流有限公司", "employer_code": "91330482MA2B3C4D5Y",
         "title": "仓储主管", "category": "物流", "town": "乍浦镇", "salary_min": 7000, "salary_max": 10000,
         "education_min": "大专", "headcount": 2, "veteran_preferred": False, "valid_until": d(20),
         "contact": "李主管 0573-85001002（示例）"},
        {"code": "GW-003", "employer": "平湖示例安保服务有限公司", "employer_code": "91330482MA2B3C4D5Y",
         "title": "安保队长", "category": "安保", "town": "当湖街道", "salary_min": 5500, "salary_max": 8000,
         "education_min": "初中", "headcount": 3, "veteran_preferred": True, "valid_until": d(45)},
        {"code": "GW-004", "employer": "独山港示例机械有限公司", "employer_code": "91330482MA2B3C4D5Y",
         "title": "叉车司机", "category": "制造", "town": "独山港镇", "salary_min": 6500, "salary_max": 8500,
         "education_min": "初中", "headcount": 4, "veteran_preferred": False, "valid_until": d(15)},
        {"code": "GW-005", "employer": "平湖示例电商有限公司", "employer_code": "91330482MA2B3C4D5Y",
         "title": "电商运营专员", "category": "电商", "town": "当湖街道", "salary_min": 5000, "salary_max": 7000,
         "education_min": "大专", "headcount": 2, "veteran_preferred": True, "valid_until": d(25)},
    ]


def facts(session, case) -> list[str]:
    if case.status not in ("pushed", "no_match"):
        return []
    postings = case.details.get("postings") or []
    if not postings:
        return ["暂无匹配岗位，已开通每日推送"]
    return [f"已推送岗位 {len(postings)} 个：{'、'.join(postings)}"]


SPEC = MatterSpec(
    key="job_push", order=30, title="就业信息推送", short="岗位推送",
    request=JobPushRequest,
    labels={"pushed": "已推送岗位", "no_match": "暂无匹配岗位（已开通每日推送）"},
    transitions={"pending": frozenset({"pushed", "no_match"})},
    handle=handle,
    detail_keys=("postings",),
    facts=facts,
    form_partial="job_push/_request.html",
    documents=(DocumentKind("job_push", 5, "就业岗位推送清单", "job_push/document.html",
                            frozenset({"pushed", "no_match"}), list_context),),
    catalogue=(CatalogueList("postings", PostingIn, Posting, sample_postings),),
    followups=FOLLOWUPS,
    refusal_number=13,        # only ever 逾期未补正: its rule takes every veteran
)
