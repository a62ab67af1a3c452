"""The sixth matter end to end on SQLite and PostgreSQL: eligible, each refusal, approved with the
worked schedule, rejected — against the database and through the CLI (the served decision form is
in test_served.py)."""

import copy
import io
import json

import pytest
import yaml
from pypdf import PdfReader
from sqlmodel import select

from onematter.casework.applications import matter_cases, settle_application, submit_application
from onematter.casework.intake import IntakeError, parse_intake
from onematter.casework.issuing import issue_all
from onematter.matters.startup_loan.models import LoanClaim, LoanSubsidyYear
from onematter.casework.processing import DecisionRefused, process_matter, record_decision
from onematter.casework.views import application_view
from tests.conftest import REPO, make_id

WORKED = [{"year": 2026, "months": 1, "amount_yuan": 750}, {"year": 2027, "months": 12, "amount_yuan": 9000},
          {"year": 2028, "months": 12, "amount_yuan": 9000}, {"year": 2029, "months": 11, "amount_yuan": 8250}]


@pytest.fixture
def loan_form() -> dict:
    from tests.conftest import example_form
    data = example_form("startup-loan.yaml")
    data.pop("materials")             # papers checked at the window: the loan's rules alone
    return data


def _submit(session, form, key="k", **loan):
    form = {**form, "idempotency_key": key,
            "matters": {**form["matters"], "startup_loan": {**form["matters"]["startup_loan"], **loan}}}
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    session.commit()
    return app, {c.matter: c for c in matter_cases(session, app.id)}["startup_loan"]


def _text(path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages)


def test_eligible_loan_waits_then_approved_with_the_worked_schedule(session, catalogue, loan_form):
    app, case = _submit(session, loan_form)
    assert (case.status, app.status) == ("pending_decision", "awaiting_decision")
    details = application_view(session, app)["matters"][1]["details"]
    assert details == {"bank": "YH-NS", "amount_yuan": 300000, "term_months": 36, "subsidy_schedule": WORKED,
                       "subsidy_total_yuan": 27000}
    claim = session.exec(select(LoanClaim)).one()
    assert (claim.business_code, claim.rate_percent, str(claim.loan_end)) == ("92330482MA2C5E7F8Q", "3.0", "2029-11-01")
    assert len(session.exec(select(LoanSubsidyYear)).all()) == 4
    issue_all(session, app.id)
    session.commit()
    form_pdf = {d["kind"]: d for d in application_view(session, app)["documents"]}["loan_form"]
    text = _text(form_pdf["path"])
    for fact in ("创业担保贷款贴息申请表", "平湖农村商业银行", "300,000", "750", "8,250", "27,000", "财金〔2020〕21号"):
        assert fact in text, fact

    record_decision(session, app.application_no, matter="startup_loan", approve=True, by="钱科长", comment=None,
                    source="cli")
    session.commit()
    issue_all(session, app.id)
    session.commit()
    view = application_view(session, app)
    loan = view["matters"][1]
    assert view["status"] == "completed" and loan["status"] == "approved"
    assert loan["details"]["decided_by"] == "钱科长" and loan["details"]["subsidy_schedule"] == WORKED
    docs = {d["kind"]: d for d in view["documents"]}
    notice = _text(docs["loan_approval"]["path"])
    for fact in ("贴息确认通知书", "沈志强", "300,000", "9,000", "27,000", "抄送：平湖农村商业银行", "钱科长"):
        assert fact in notice, fact
    assert "refusal-startup_loan" not in docs
    with pytest.raises(DecisionRefused, match="不能重复审核"):
        record_decision(session, app.application_no, matter="startup_loan", approve=False, by="赵", comment="x",
                        source="cli")


@pytest.mark.parametrize("applicant,loan,code", [
    ({"placement": "安排工作"}, {}, "placement_not_eligible"),
    ({}, {"amount_yuan": 600000}, "amount_over_limit"),
    ({}, {"term_months": 48}, "term_over_limit"),
])
def test_each_refusal_is_a_notice_naming_the_fact(session, catalogue, loan_form, applicant, loan, code):
    loan_form["applicant"] |= applicant
    app, case = _submit(session, loan_form, **loan)
    assert (case.status, case.reason_code) == ("refused", code)
    assert app.status == "completed"          # nothing left to decide: the job push and the refusal
    assert session.exec(select(LoanClaim)).all() == []
    issue_all(session, app.id)
    session.commit()
    docs = {d["kind"]: d for d in application_view(session, app)["documents"]}
    text = _text(docs["refusal-startup_loan"]["path"])
    assert "不予受理告知书" in text and "退役军人创业担保贷款及贴息" in text and case.reason[:12] in text


def test_an_open_loan_refuses_a_second_one(session, catalogue, loan_form):
    first, _ = _submit(session, loan_form, key="first")
    record_decision(session, first.application_no, matter="startup_loan", approve=True, by="钱科长", comment=None,
                    source="cli")
    session.commit()
    _, case = _submit(session, loan_form, key="second")       # the same person, a new application
    assert (case.status, case.reason_code) == ("refused", "open_loan_exists")


def test_rejected_loan_gets_a_notice_with_the_comment(session, catalogue, loan_form):
    app, _ = _submit(session, loan_form)
    with pytest.raises(DecisionRefused, match="审核意见"):
        record_decision(session, app.application_no, matter="startup_loan", approve=False, by="钱科长", comment="",
                        source="cli")
    record_decision(session, app.application_no, matter="startup_loan", approve=False, by="钱科长",
                    comment="经营场所未落实", source="cli")
    session.commit()
    issue_all(session, app.id)
    session.commit()
    view = application_view(session, app)
    loan = view["matters"][1]
    assert (loan["status"], loan["reason_code"]) == ("rejected", "rejected_by_supervisor")
    kinds = {d["kind"]: d for d in view["documents"]}
    assert "refusal-startup_loan" not in kinds            # not a 不予受理: a 审核不予确认 after review
    text = _text(kinds["rejection-startup_loan"]["path"])
    assert "贴息审核不予确认通知书" in text and "经营场所未落实" in text and "钱科长" in text
    assert "抄送：平湖农村商业银行" in text


@pytest.mark.parametrize("loan,field", [
    ({"bank": "YH-XX"}, "matters.startup_loan.bank"),
    ({"business_code": "92330482MA2C5E7F8A"}, "matters.startup_loan.business_code"),
    ({"loan_start": "2026/12"}, "matters.startup_loan.loan_start"),
    ({"amount_yuan": 0}, "matters.startup_loan.amount_yuan"),
    ({"term_months": "三年"}, "matters.startup_loan.term_months"),
])
def test_form_errors_name_the_field_and_store_nothing(session, catalogue, loan_form, loan, field):
    from onematter.case.models import Application
    loan_form["matters"]["startup_loan"] |= loan
    with pytest.raises(IntakeError) as info:
        submit_application(session, parse_intake(loan_form), actor="t")
    assert list(info.value.fields) == [field]
    assert session.exec(select(Application)).all() == []


def test_a_business_being_registered_has_no_code_yet(session, catalogue, loan_form):
    loan_form["matters"]["startup_loan"]["business_code"] = ""
    app, case = _submit(session, loan_form)
    assert case.status == "pending_decision" and session.exec(select(LoanClaim)).one().business_code is None


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)     # the CLI over decisions tested on both above
def test_cli_apply_decide_by_matter_and_decide_without_matter(prefect, db, catalogue, loan_form, form, tmp_path):
    """`decide NO --matter startup_loan`; and on an application with both deciding matters,
    `decide` without --matter decides the employer incentive first, as it always did."""
    from typer.testing import CliRunner

    from onematter.cli import app as cli
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, [str(a) for a in args])
        return result.exit_code, result.stdout

    path = tmp_path / "loan.yaml"
    path.write_text(yaml.safe_dump(loan_form, allow_unicode=True), encoding="utf-8")
    code, out = run("apply", path, "--json")
    assert code == 0, out
    view = json.loads(out)
    assert [m["matter"] for m in view["matters"]] == ["job_push", "startup_loan"]
    assert view["matters"][1]["details"]["subsidy_schedule"] == WORKED
    code, out = run("decide", view["application_no"], "--matter", "job_push", "--approve", "--by", "钱科长", "--json")
    assert code == 2 and "不需要审核" in json.loads(out)["message"]
    code, out = run("decide", view["application_no"], "--matter", "startup_loan", "--approve", "--by", "钱科长", "--json")
    assert code == 0, out
    decided = json.loads(out)
    assert decided["status"] == "completed" and decided["matters"][1]["status"] == "approved"
    assert {"loan_approval", "completion", "packet"} <= {d["kind"] for d in decided["documents"]}

    both = copy.deepcopy(form)
    both["idempotency_key"] = "both"
    both["applicant"]["id_number"] = make_id("19930303", seq="151")
    both["matters"]["startup_loan"] = loan_form["matters"]["startup_loan"]
    path.write_text(yaml.safe_dump(both, allow_unicode=True), encoding="utf-8")
    code, out = run("apply", path, "--json")
    no = json.loads(out)["application_no"]
    code, out = run("decide", no, "--approve", "--by", "李科长", "--json")
    statuses = {m["matter"]: m["status"] for m in json.loads(out)["matters"]}
    assert code == 0 and statuses["employer_incentive"] == "approved" and statuses["startup_loan"] == "pending_decision"
    assert json.loads(out)["status"] == "awaiting_decision"
    code, out = run("decide", no, "--reject", "--by", "钱科长", "--comment", "经营场所未落实", "--json")
    statuses = {m["matter"]: m["status"] for m in json.loads(out)["matters"]}
    assert code == 0 and statuses["startup_loan"] == "rejected" and json.loads(out)["status"] == "completed"
    kinds = {d["kind"] for d in json.loads(out)["documents"]}
    assert {"incentive_approval", "rejection-startup_loan", "completion", "packet"} <= kinds
