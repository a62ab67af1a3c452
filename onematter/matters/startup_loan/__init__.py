"""退役军人创业担保贷款及贴息 entrepreneurship loan with interest subsidy (domain.md §2.6): a
guaranteed business loan through a partner bank, its interest subsidised in full for the term;
the bank's and the bureau's review is one supervisor decision here. Every figure is a local
parameter in the policy block `startup_loan` (the bureau must confirm them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import yaml
from pydantic import BaseModel, Field, field_validator
from sqlmodel import select

from onematter.case.forms import Code, Strict, parse_month
from onematter.case.models import MatterCase
from onematter.config.resources import example
from onematter.config.settings import today
from onematter.matters.spec import (
    DECIDED_LABELS,
    DECIDED_TRANSITIONS,
    CatalogueList,
    Decision,
    DocumentKind,
    MatterSpec,
    schedule_markdown,
)
from onematter.matters.startup_loan import rules
from onematter.matters.startup_loan.choices import choices
from onematter.matters.startup_loan.models import Bank, LoanClaim, LoanSubsidyYear
from onematter.policy import load_policy
from onematter.rules import Outcome
from onematter.rules.identity import normalise_credit_code


class Benchmark(BaseModel):
    name: str
    rate_percent: Decimal = Field(gt=0, lt=100)
    as_of: dt.date


class LoanPolicy(BaseModel):
    max_amount_yuan: int = Field(gt=0)
    max_term_months: int = Field(gt=0)
    placements: list[str]
    benchmark: Benchmark
    citation: str


class StartupLoanRequest(Strict):
    business_name: str = Field(min_length=1, max_length=100)
    business_code: str | None = None          # 统一社会信用代码; none while being registered
    business_type: str = Field(min_length=1, max_length=30)
    amount_yuan: int = Field(gt=0, le=100_000_000)
    bank: Code
    term_months: int = Field(gt=0, le=360)
    loan_start: dt.date

    @field_validator("business_code", mode="before")
    @classmethod
    def _code(cls, v):
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not isinstance(v, str):
            raise ValueError("应为18位统一社会信用代码")
        return normalise_credit_code(v)

    _month = field_validator("loan_start", mode="before")(lambda cls, v: parse_month(v))


class BankIn(Strict):
    code: Code
    name: str = Field(min_length=1, max_length=60)
    branch: str = Field(min_length=1, max_length=100)
    contact: str = Field(min_length=1, max_length=100)


def _policy() -> LoanPolicy:
    return SPEC.policy(load_policy())


def names(session, request: dict) -> dict[str, str]:
    bank = session.exec(select(Bank).where(Bank.code == request.get("bank"))).first()
    return {"bank": f"{bank.name}{bank.branch}"} if bank else {}


def references(session, request: StartupLoanRequest) -> dict[str, str]:
    if not session.exec(select(Bank).where(Bank.code == request.bank)).first():
        return {"bank": f"合作银行代码“{request.bank}”不存在，请核对合作银行目录"}
    return {}


def _holds_open_loan(session, person_id, case_id) -> bool:
    """Another loan application of this person still under review, or approved and within its term."""
    rows = session.exec(select(LoanClaim, MatterCase).where(
        LoanClaim.person_id == person_id, LoanClaim.matter_case_id != case_id,
        LoanClaim.matter_case_id == MatterCase.id)).all()
    return any(case.status in ("pending", "pending_decision")
               or case.status == "approved" and claim.loan_end >= today() for claim, case in rows)


def handle(session, case, app, person) -> Outcome:
    req = StartupLoanRequest.model_construct(**{**case.request,
                                                "loan_start": dt.date.fromisoformat(case.request["loan_start"])})
    bank = session.exec(select(Bank).where(Bank.code == req.bank)).one()
    policy = _policy()
    outcome = rules.assess_startup_loan(
        placement=app.form["applicant"]["placement"], amount_yuan=req.amount_yuan, term_months=req.term_months,
        loan_start=req.loan_start, holds_open_loan=_holds_open_loan(session, person.id, case.id), policy=policy)
    details = {"bank": bank.code, "amount_yuan": req.amount_yuan, "term_months": req.term_months, **outcome.details}
    if outcome.status == "pending_decision":
        claim = LoanClaim(matter_case_id=case.id, person_id=person.id, bank_id=bank.id,
                          business_name=req.business_name, business_code=req.business_code,
                          business_type=req.business_type, amount_yuan=req.amount_yuan, term_months=req.term_months,
                          loan_start=req.loan_start, loan_end=rules.last_month(req.loan_start, req.term_months),
                          rate_percent=str(policy.benchmark.rate_percent),
                          subsidy_total_yuan=outcome.details["subsidy_total_yuan"])
        session.add(claim)
        session.flush()
        for row in outcome.details["subsidy_schedule"]:
            session.add(LoanSubsidyYear(claim_id=claim.id, **row))
    return outcome.with_details(details)


def loan_context(session, case, view: dict) -> dict:
    """`loan` for the application form, the confirmation notice and the refusal."""
    policy = _policy()
    bank = session.exec(select(Bank).where(Bank.code == case.request["bank"])).one()
    ctx = {"request": case.request, "case": view, "citation": policy.citation,
           "bank": {"code": bank.code, "name": bank.name, "branch": bank.branch, "contact": bank.contact},
           "limits": {"amount_yuan": policy.max_amount_yuan, "term_months": policy.max_term_months}}
    claim = session.exec(select(LoanClaim).where(LoanClaim.matter_case_id == case.id)).first()
    if claim:
        years = session.exec(select(LoanSubsidyYear).where(LoanSubsidyYear.claim_id == claim.id)
                             .order_by(LoanSubsidyYear.year)).all()
        ctx |= {"rate_percent": claim.rate_percent, "benchmark": case.details.get("benchmark"),
                "loan_end": claim.loan_end.isoformat(), "subsidy_total_yuan": claim.subsidy_total_yuan,
                "schedule": [{"year": y.year, "months": y.months, "amount_yuan": y.amount_yuan} for y in years]}
    return {"loan": ctx}


def refusal_subject(case) -> list[dict]:
    r = case.request
    return [{"label": "创业项目", "value": f"{r['business_name']}（{r['business_type']}）"},
            {"label": "申请贷款", "value": f"{r['amount_yuan']:,}元，{r['term_months']}个月"}]


def schedule_lines(case) -> list[str]:
    d = case.details
    if "subsidy_schedule" not in d:
        return []
    return schedule_markdown(f"贷款 {d['amount_yuan']:,} 元 · {d['term_months']} 个月 · 全额贴息，利率 {d['rate_percent']}%",
                             d["subsidy_schedule"], "贴息金额（元）", d["subsidy_total_yuan"])


def describe(session, case) -> list[str]:
    r = case.request
    bank = session.exec(select(Bank).where(Bank.code == r["bank"])).one()
    return [f"- {r['business_name']}（{r['business_type']}，{r['business_code'] or '统一社会信用代码登记中'}）",
            f"- {bank.name}{bank.branch} · 自 {r['loan_start'][:7]} 起"]


def facts(session, case) -> list[str]:
    d = case.details
    if "subsidy_total_yuan" not in d:
        return []
    bank = session.exec(select(Bank).where(Bank.code == d.get("bank"))).first()
    verdict = {"approved": "已审核确认", "rejected": "审核不予确认"}.get(case.status, "待审核")
    return [f"{case.request['business_name']} · {bank.name + bank.branch if bank else d.get('bank')}",
            f"贷款 {d['amount_yuan']:,} 元，{d['term_months']} 个月；贴息合计 {d['subsidy_total_yuan']:,} 元（{verdict}）"]


def sample_banks(today: dt.date) -> list[dict]:
    return [
        {"code": "YH-NS", "name": "平湖农村商业银行（示例）", "branch": "当湖支行", "contact": "0573-8500 0001（示例）"},
        {"code": "YH-GS", "name": "中国工商银行（示例）", "branch": "平湖支行", "contact": "0573-8500 0002（示例）"},
        {"code": "YH-NH", "name": "中国农业银行（示例）", "branch": "平湖支行", "contact": "0573-8500 0003（示例）"},
        {"code": "YH-JH", "name": "中国建设银行（示例）", "branch": "平湖支行", "contact": "0573-8500 0004（示例）"},
        {"code": "YH-YZ", "name": "中国邮政储蓄银行（示例）", "branch": "平湖市支行", "contact": "0573-8500 0005（示例）"},
    ]


def sample_request(label: str) -> dict:
    """`onematter samples`: the loan of examples/startup-loan.yaml; in the refused case, more than
    the limit."""

    request = yaml.safe_load(example("startup-loan.yaml").read_text(encoding="utf-8"))["matters"]["startup_loan"]
    return request | ({"amount_yuan": 600000} if label == "refused" else {})


SPEC = MatterSpec(
    key="startup_loan", order=60, title="退役军人创业担保贷款及贴息", short="创业贷款贴息",
    request=StartupLoanRequest,
    labels=DECIDED_LABELS, transitions=DECIDED_TRANSITIONS,
    handle=handle,
    detail_keys=("bank", "amount_yuan", "term_months", "subsidy_schedule", "subsidy_total_yuan"),
    facts=facts,
    form_partial="loan_form/_request.html",
    documents=(
        DocumentKind("loan_form", 9, "创业担保贷款贴息申请表", "loan_form/document.html",
                     frozenset({"pending_decision", "approved", "rejected"}), loan_context),
        DocumentKind("loan_approval", 10, "贴息确认通知书", "loan_approval/document.html",
                     frozenset({"approved"}), loan_context, dated_by_decision=True, official=True),
    ),
    refusal_number=16,
    refusal_context=loan_context,
    refusal_subject=refusal_subject,
    refusal_advice={"placement_not_eligible": None,
                    "open_loan_exists": "原贷款结清或贴息期满后，可到受理窗口重新申请。",
                    "*": "贷款金额、期限或创业项目调整后符合条件的，可到受理窗口重新申请。"},
    decision=Decision(describe=describe, board=schedule_lines, rejection_number=18,
                      rejection_title="贴息审核不予确认通知书"),
    references=references,
    names=names,
    catalogue=(CatalogueList("banks", BankIn, Bank, sample_banks),),
    choices=choices,
    policy_block="startup_loan", policy_model=LoanPolicy,
    sample_request=sample_request,
)
