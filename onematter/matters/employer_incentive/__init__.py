"""企业吸纳退役军人就业优惠政策申请 employer incentive for hiring a veteran (domain.md §2.5):
the year-by-year deduction schedule, then a supervisor's decision."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator
from sqlmodel import select

from onematter.case.forms import FieldError, Strict, TypedDate, parse_month
from onematter.matters.spec import (
    DECIDED_LABELS, DECIDED_TRANSITIONS, Decision, DocumentKind, MatterSpec, schedule_markdown,
)
from onematter.matters.employer_incentive import followups
from onematter.matters.employer_incentive.report import REPORT
from onematter.matters.employer_incentive.models import IncentiveClaim, IncentiveYear
from onematter.matters.employer_incentive.policy import BLOCK, IncentivePolicy, incentive_policy
from onematter.policy import load_policy
from onematter.rules import Outcome
from onematter.matters.employer_incentive import rules
from onematter.rules.identity import normalise_credit_code
from onematter.config.settings import today


class IncentiveRequest(Strict):
    employer_name: str = Field(min_length=1, max_length=100)
    employer_code: str
    position: str = Field(min_length=1, max_length=50)
    contract_start: TypedDate
    contract_end: TypedDate
    social_insurance_start: dt.date

    @field_validator("employer_code")
    @classmethod
    def _code(cls, v: str) -> str:
        return normalise_credit_code(v)

    _month = field_validator("social_insurance_start", mode="before")(lambda cls, v: parse_month(v))

    @model_validator(mode="after")
    def _contract(self) -> "IncentiveRequest":
        if self.contract_end <= self.contract_start:
            raise FieldError("contract_end", "劳动合同终止日期应晚于起始日期")
        return self


def handle(session, case, app, person) -> Outcome:
    req = case.request
    applicant = app.form["applicant"]
    dates = {k: dt.date.fromisoformat(req[k]) for k in ("contract_start", "contract_end", "social_insurance_start")}
    outcome = rules.assess_incentive(category=applicant["category"], placement=applicant["placement"],
                                     employer_code=req["employer_code"], today=today(), policy=incentive_policy(), **dates)
    if outcome.status == "pending_decision":
        d = outcome.details
        claim = IncentiveClaim(
            matter_case_id=case.id, employer_name=req["employer_name"], employer_code=req["employer_code"],
            position=req["position"], rate_yuan=d["rate_yuan"],
            window_start=dt.date.fromisoformat(d["window_start"] + "-01"), total_yuan=d["total_yuan"], **dates)
        session.add(claim)
        session.flush()
        for row in d["schedule"]:
            session.add(IncentiveYear(claim_id=claim.id, **row))
    return outcome


def incentive_context(session, case, view: dict) -> dict:
    """`incentive` for the application form, the approval notice and the refusal."""
    policy = incentive_policy()
    ctx = {"request": case.request, "case": view, "citation": policy.citation, "months": policy.months,
           "period": [policy.period_start.isoformat(), policy.period_end.isoformat()]}
    claim = session.exec(select(IncentiveClaim).where(IncentiveClaim.matter_case_id == case.id)).first()
    if claim:
        years = session.exec(select(IncentiveYear).where(IncentiveYear.claim_id == claim.id)
                             .order_by(IncentiveYear.year)).all()
        ctx |= {"rate_yuan": claim.rate_yuan, "window_start": claim.window_start.isoformat(),
                "total_yuan": claim.total_yuan,
                "schedule": [{"year": y.year, "months": y.months, "amount_yuan": y.amount_yuan} for y in years]}
    return {"incentive": ctx}


def stopped_context(session, case, view: dict) -> dict:
    """`incentive` (the schedule as it stands now, each year with its status) and `reverification`
    (the January check that found the contract ended) for the 年度核验结果通知书."""
    ctx = incentive_context(session, case, view)
    claim = session.exec(select(IncentiveClaim).where(IncentiveClaim.matter_case_id == case.id)).first()
    years = session.exec(select(IncentiveYear).where(IncentiveYear.claim_id == claim.id)
                         .order_by(IncentiveYear.year)).all()
    kept = [y for y in years if y.status != "stopped"]
    ctx["incentive"]["schedule"] = [{"year": y.year, "months": y.months, "amount_yuan": y.amount_yuan} for y in kept]
    ctx["incentive"]["stopped_years"] = [y.year for y in years if y.status == "stopped"]
    ctx["incentive"]["total_before"] = claim.total_yuan
    ctx["incentive"]["total_yuan"] = sum(y.amount_yuan for y in kept)
    return ctx | {"reverification": dict(case.details["reverification_ended"]),
                  "remedy": load_policy().remedy.model_dump()}


def _reverified_ended(case) -> bool:
    return bool(case.details.get("reverification_ended"))


def refusal_subject(case) -> list[dict]:
    r = case.request
    return [{"label": "用人单位", "value": f"{r['employer_name']}（{r['employer_code']}）"}]


def addressee(case) -> dict:
    """The incentive's notices go to the enterprise; the veteran gets a copy."""
    return {"name": case.request["employer_name"], "enterprise": True}


def schedule_lines(case) -> list[str]:
    d = case.details
    if "schedule" not in d:
        return []
    return schedule_markdown(f"年度扣减标准 {d['rate_yuan']:,} 元/人·年，起始月份 {d['window_start']}",
                             d["schedule"], "扣减限额（元）", d["total_yuan"])


def describe(session, case) -> list[str]:
    req = case.request
    return [f"- {req['employer_name']}（{req['employer_code']}）· {req['position']}",
            f"- 合同 {req['contract_start']} 至 {req['contract_end']} · 社保起缴 {req['social_insurance_start'][:7]}"]


def facts(session, case) -> list[str]:
    d = case.details
    if "schedule" not in d:
        return []
    years = f"{d['schedule'][0]['year']}—{d['schedule'][-1]['year']}年" if d["schedule"] else ""
    verdict = {"approved": "已审核确认", "rejected": "审核不予确认"}.get(case.status, "待审核")
    return [f"{case.request['employer_name']} · {case.request['position']}",
            f"扣减标准 {d['rate_yuan']:,} 元/人·年，{years}合计 {d['total_yuan']:,} 元（{verdict}）"]


SPEC = MatterSpec(
    key="employer_incentive", order=50, title="企业吸纳退役军人就业优惠政策申请", short="企业吸纳优惠",
    request=IncentiveRequest,
    labels=DECIDED_LABELS, transitions=DECIDED_TRANSITIONS,
    handle=handle,
    detail_keys=("rate_yuan", "window_start", "schedule", "total_yuan"),
    facts=facts,
    form_partial="incentive_form/_request.html",
    documents=(
        DocumentKind("incentive_form", 7, "企业吸纳退役军人就业优惠政策申请表", "incentive_form/document.html",
                     frozenset({"pending_decision", "approved", "rejected"}), incentive_context),
        DocumentKind("incentive_approval", 8, "审核确认通知书", "incentive_approval/document.html",
                     frozenset({"approved"}), incentive_context, dated_by_decision=True, official=True),
        DocumentKind("incentive_stopped", 21, "年度核验结果通知书", "incentive_stopped/document.html",
                     frozenset({"approved"}), stopped_context, official=True, due_if=_reverified_ended,
                     issued_on=lambda case: (case.details.get("reverification_ended") or {}).get("on")),
    ),
    refusal_number=15,
    refusal_context=incentive_context,
    refusal_subject=refusal_subject,
    refusal_advice={"not_self_employed_soldier": None, "not_enterprise": None, "outside_policy_period": None,
                    "contract_too_short": "与其签订1年以上劳动合同后，贵单位可补充材料重新申请。",
                    "social_insurance_not_started": "为其缴纳社会保险后，贵单位可补充材料重新申请。",
                    "*": "招用条件发生变化的（如签订1年以上劳动合同并缴纳社会保险），贵单位可补充材料后重新申请。"},
    addressee=addressee,
    decision=Decision(describe=describe, board=schedule_lines, rejection_number=17),
    policy_block=BLOCK, policy_model=IncentivePolicy,
    followups=followups.FOLLOWUPS, tasks=followups.TASKS, report=REPORT,
    sample_followup=followups.sample_followup,
)
