"""专场招聘会 job fairs for veterans (domain.md §2.4): register (or waitlist) for a fair."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Literal

from pydantic import Field, model_validator
from sqlalchemy import func
from sqlmodel import select

from onematter.case.forms import Code, Strict
from onematter.matters.spec import CatalogueList, DocumentKind, MatterSpec
from onematter.case.lifecycle import change_status
from onematter.case.models import MatterCase
from onematter.matters.job_fair.followups import FOLLOWUPS, TASKS
from onematter.matters.job_fair.report import REPORT
from onematter.matters.job_fair.models import Fair, FairRegistration
from onematter.followups.outbox import enqueue
from onematter.policy import load_policy
from onematter.rules import Outcome, refused
from onematter.matters.job_fair import rules
from onematter.matters.job_fair.choices import choices
from onematter.config.settings import TZ, local, now


class JobFairRequest(Strict):
    fair: Code | None = None
    mode: Literal["线下", "线上"] = "线下"


class FairIn(Strict):
    code: Code
    name: str = Field(min_length=1)
    starts_at: dt.datetime
    venue: str | None = None
    online_url: str | None = None
    capacity_offline: int = Field(default=0, ge=0, le=1_000_000)
    capacity_online: int = Field(default=0, ge=0, le=1_000_000)
    employers: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _where(self):
        if not self.venue and not self.online_url:
            raise ValueError("线下场地和线上链接至少填写一项")
        # stored in Asia/Shanghai wall-clock time (SQLite keeps no offset)
        self.starts_at = self.starts_at.replace(tzinfo=TZ) if self.starts_at.tzinfo is None \
            else self.starts_at.astimezone(TZ)
        return self


def names(session, request: dict) -> dict[str, str]:
    fair = session.exec(select(Fair).where(Fair.code == request.get("fair"))).first() if request.get("fair") else None
    return {"fair": fair.name} if fair else {}


def references(session, request: JobFairRequest) -> dict[str, str]:
    if request.fair and not session.exec(select(Fair).where(Fair.code == request.fair)).first():
        return {"fair": f"招聘会代码“{request.fair}”不存在，请核对招聘会目录"}
    return {}


def handle(session, case, app, person) -> Outcome:
    mode = case.request.get("mode") or "线下"
    requested = case.request.get("fair")
    cite = load_policy().citations["job_fair"]
    fairs = session.exec(select(Fair).with_for_update()).all()
    views = []
    for f in fairs:
        counts = dict(session.exec(select(FairRegistration.status, func.count()).where(
            FairRegistration.fair_id == f.id, FairRegistration.mode == mode).group_by(FairRegistration.status)).all())
        capacity = f.capacity_offline if mode == "线下" else f.capacity_online
        if mode == "线下" and not f.venue or mode == "线上" and not f.online_url:
            capacity = 0
        views.append(rules.FairView(code=f.code, starts_at=local(f.starts_at), capacity=capacity,
                                    registered=counts.get("registered", 0), waitlisted=counts.get("waitlisted", 0)))
    outcome, code = rules.assess_fair(views, requested=requested, now=now(), citation=cite)
    fair = next((f for f in fairs if f.code == code), None)
    if fair and outcome.status != "refused" and session.exec(select(FairRegistration).where(
            FairRegistration.fair_id == fair.id, FairRegistration.person_id == person.id)).first():
        outcome = refused("already_registered", "您已报名该场招聘会，无需重复报名。", cite)
    details = {"fair": code, "registration_code": None, "waitlist_position": outcome.details.get("waitlist_position"),
               "mode": mode}
    if outcome.status != "refused":
        serial = session.exec(select(func.count()).select_from(FairRegistration).where(
            FairRegistration.fair_id == fair.id)).one() + 1
        check = hashlib.sha256(f"{fair.code}|{person.id}".encode()).hexdigest()[:4].upper()
        details["registration_code"] = f"{fair.code}-{serial:04d}-{check}"
        session.add(FairRegistration(fair_id=fair.id, person_id=person.id, matter_case_id=case.id, mode=mode,
                                     registration_code=details["registration_code"], status=outcome.status,
                                     waitlist_position=details["waitlist_position"]))
    return outcome.with_details(details)


def _when(at: dt.datetime) -> str:
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def release_place(session, registration_code: str, *, actor: str) -> list:
    """A registration is cancelled (the person cannot come): its place goes to the next person
    on that fair's waitlist for the same mode, who is registered, told (outbox) and due a ticket.
    Returns the promoted cases."""
    reg = session.exec(select(FairRegistration).where(
        FairRegistration.registration_code == registration_code.strip().upper()).with_for_update()).first()
    if reg is None:
        raise LookupError(f"找不到登记码 {registration_code}")
    if reg.status == "cancelled":
        raise LookupError(f"登记码 {registration_code} 已取消")
    fair = session.exec(select(Fair).where(Fair.id == reg.fair_id).with_for_update()).one()
    if local(fair.starts_at) <= now():
        raise LookupError("招聘会已开始，不能再取消或递补")
    case = session.get(MatterCase, reg.matter_case_id)
    change_status(session, case, "cancelled", allowed=SPEC.transitions, actor=actor, note=f"取消登记 {reg.registration_code}")
    reg.status = "cancelled"
    session.add(reg)
    session.flush()
    capacity = fair.capacity_offline if reg.mode == "线下" else fair.capacity_online
    registered = session.exec(select(func.count()).select_from(FairRegistration).where(
        FairRegistration.fair_id == fair.id, FairRegistration.mode == reg.mode,
        FairRegistration.status == "registered")).one()
    promoted = []
    waiting = session.exec(select(FairRegistration).where(
        FairRegistration.fair_id == fair.id, FairRegistration.mode == reg.mode, FairRegistration.status == "waitlisted")
        .order_by(FairRegistration.waitlist_position)).all()
    for nxt in waiting[:max(capacity - registered, 0)]:
        nxt.status, nxt.waitlist_position = "registered", None
        session.add(nxt)
        moved = session.get(MatterCase, nxt.matter_case_id)
        moved.details = {**moved.details, "waitlist_position": None}
        change_status(session, moved, "registered", allowed=SPEC.transitions, actor=actor, note="候补递补")
        enqueue(session, key=f"fair_promoted:{nxt.id}", kind="fair_promoted", person_id=nxt.person_id,
                application_id=moved.application_id,
                payload={"fair": fair.name, "when": f"{local(fair.starts_at).month}月{local(fair.starts_at).day}日"
                                                    f"{local(fair.starts_at):%H:%M}", "code": nxt.registration_code})
        promoted.append(moved)
    return promoted


def ticket_context(session, case, view: dict) -> dict:
    f = session.exec(select(Fair).where(Fair.code == case.details["fair"])).one()
    return {"fair": {"code": f.code, "name": f.name, "starts_at": _when(local(f.starts_at)),
                     "venue": f.venue or "", "online_url": f.online_url or "", "employers": list(f.employers)},
            "rule": load_policy().citations["job_fair"],
            "registration": {"code": case.details["registration_code"], "mode": case.details.get("mode") or "线下",
                             "status": case.status, "waitlist_position": case.details.get("waitlist_position")}}


def facts(session, case) -> list[str]:
    f = session.exec(select(Fair).where(Fair.code == case.details.get("fair"))).first()
    if f is None:
        return []
    mode = case.details.get("mode") or "线下"
    where = f.venue if mode == "线下" and f.venue else "线上"
    lines = [f"{f.name}：{_when(local(f.starts_at))}，{where}"]
    if case.details.get("registration_code"):
        lines.append(f"入场凭证码 {case.details['registration_code']}（{mode}）")
    if case.details.get("waitlist_position"):
        lines.append(f"候补第 {case.details['waitlist_position']} 位")
    return lines


def sample_fairs(today: dt.date) -> list[dict]:
    at = lambda days, hour: f"{today + dt.timedelta(days=days)}T{hour:02d}:00:00+08:00"  # noqa: E731
    return [
        {"code": "ZP-01", "name": "平湖市退役军人专场招聘会（示例）", "starts_at": at(7, 9),
         "venue": "平湖市退役军人服务中心一楼大厅", "online_url": "https://example.invalid/fair/zp-01",
         "capacity_offline": 200, "capacity_online": 500,
         "employers": ["平湖示例汽车零部件有限公司", "乍浦示例物流有限公司", "平湖示例安保服务有限公司"]},
        {"code": "ZP-02", "name": "独山港镇退役军人就业对接会（示例）", "starts_at": at(21, 14),
         "venue": "独山港镇退役军人服务站", "online_url": None, "capacity_offline": 80, "capacity_online": 0,
         "employers": ["独山港示例机械有限公司"]},
    ]


SPEC = MatterSpec(
    key="job_fair", order=40, title="专场招聘会", short="招聘会",
    request=JobFairRequest,
    labels={"registered": "报名成功", "waitlisted": "候补", "refused": "不予受理", "cancelled": "已取消"},
    # waitlisted → registered: a place freed (release_place, the fair-waitlist follow-up)
    transitions={"pending": frozenset({"registered", "waitlisted", "refused"}),
                 "registered": frozenset({"cancelled"}), "waitlisted": frozenset({"registered", "cancelled"})},
    handle=handle,
    detail_keys=("fair", "registration_code", "waitlist_position", "mode"),
    facts=facts,
    form_partial="job_fair/_request.html",
    documents=(DocumentKind("job_fair", 6, "招聘会入场凭证", "job_fair/document.html",
                            frozenset({"registered"}), ticket_context, qr=True),
               DocumentKind("job_fair_waitlist", 19, "招聘会候补通知", "job_fair/waitlist.html",
                            frozenset({"waitlisted"}), ticket_context)),
    refusal_number=14,
    refusal_subject=lambda case: [{"label": "招聘会", "value": case.request.get("fair") or "最近一场有名额的招聘会"},
                                  {"label": "参会方式", "value": case.request.get("mode") or "线下"}],
    refusal_advice="可选择其他尚未开始、仍有名额的招聘会场次，到受理窗口重新报名。",
    references=references,
    names=names,
    catalogue=(CatalogueList("fairs", FairIn, Fair, sample_fairs),),
    choices=choices,
    followups=FOLLOWUPS, tasks=TASKS, report=REPORT,
)
