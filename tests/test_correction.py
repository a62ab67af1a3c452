"""一次性告知 and 补正 (domain.md §1.1): an application missing a required material is still taken;
the matters with everything go ahead, each matter missing something waits in 待补正, and ONE
补正材料一次性告知书 lists every missing item. Adding the material moves the matter on at once, its
committed deadline counted from that day; when the correction period passes first, the deadline
watch refuses it (逾期未补正) with a dated notice. A matter missing materials cannot be decided."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml
from pypdf import PdfReader
from typer.testing import CliRunner

from onematter.cli import app
from tests.conftest import REPO, TODAY

runner = CliRunner()


@pytest.fixture
def form(scanned_form):
    """Here the example intake carries its scans (the window's one set of materials)."""
    return scanned_form
CONTRACT = REPO / "examples" / "materials" / "labour-contract.pdf"


def _run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout


def _text(path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages).replace(" ", "").replace("\n", "")


def _apply_without(tmp_path, form, *items) -> dict:
    for item in items:
        form["materials"].pop(item)
    path = tmp_path / "form.yaml"
    path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
    code, out = _run("apply", path, "--json")
    assert code == 0, out
    return json.loads(out)


def _working_days_after(day: dt.date, n: int) -> dt.date:
    from onematter.policy import load_policy
    from onematter.rules.workdays import add_working_days
    return add_working_days(day, n, load_policy())


def test_missing_contract_waits_one_notice_then_proceeds(prefect, db, catalogue, form, tmp_path):
    assert CONTRACT.is_file()
    view = _apply_without(tmp_path, form, "labour_contract", "diploma")
    no = view["application_no"]
    m = {x["matter"]: x for x in view["matters"]}
    assert view["status"] == "awaiting_materials" and view["materials_tracked"] is True
    assert m["employer_incentive"]["status"] == "awaiting_materials"
    assert m["employer_incentive"]["missing_materials"] == ["labour_contract"]
    assert m["education"]["status"] == "awaiting_materials" and m["education"]["missing_materials"] == ["diploma"]
    due = _working_days_after(TODAY, 10)
    assert m["employer_incentive"]["details"]["materials_due"] == due.isoformat()
    # the matters with everything went ahead
    assert m["training"]["status"] == "enrolled" and m["job_push"]["status"] == "pushed"
    assert m["job_fair"]["status"] == "registered"
    assert all(x["missing_materials"] == [] for k, x in m.items() if k not in ("employer_incentive", "education"))

    docs = {d["kind"]: d for d in view["documents"]}
    assert {"materials_notice", "receipt", "packet-intake", "training"} <= set(docs)
    assert not any(k.startswith(("refusal-", "incentive_")) for k in docs)
    notice = _text(docs["materials_notice"]["path"])
    assert "补正材料一次性告知书" in notice and "劳动合同" in notice and "最高学历证书" in notice
    assert "企业吸纳退役军人就业优惠政策申请" in notice and "学历教育提升" in notice
    assert f"{due.year}年{due.month}月{due.day}日" in notice
    assert re.search(r"平退役军人〔2026〕\d+号", notice) and "0573-85000000" in notice
    assert "社会保险缴费记录" not in notice                                  # presented: not asked again
    receipt = _text(docs["receipt"]["path"])
    assert "已受理事项" in receipt and "待补正材料事项" in receipt
    assert receipt.index("待补正材料事项") < receipt.index("受理网点")
    packet = _text(docs["packet-intake"]["path"])
    assert "补正材料一次性告知书" in packet

    # not decidable while the contract is missing
    code, out = _run("decide", no, "--matter", "employer_incentive", "--approve", "--by", "李科长", "--json")
    assert code == 2 and "缺少材料：劳动合同" in json.loads(out)["message"], out

    # 补正: the contract brought later; the incentive moves on at once, accepted today
    code, out = _run("materials", "add", no, "labour_contract", CONTRACT, "--by", "王珏", "--json")
    assert code == 0, out
    added = json.loads(out)
    assert added["added"] == 1 and added["proceeded"] == ["employer_incentive"]
    after = {x["matter"]: x for x in added["application"]["matters"]}
    assert after["employer_incentive"]["status"] == "pending_decision"
    assert after["employer_incentive"]["missing_materials"] == []
    assert after["employer_incentive"]["details"]["materials_complete_on"] == TODAY.isoformat()
    assert after["employer_incentive"]["details"]["total_yuan"] == 27000
    assert after["education"]["status"] == "awaiting_materials"
    assert added["application"]["status"] == "awaiting_materials"            # the diploma is still owed
    code, out = _run("materials", "add", no, "diploma", REPO / "examples" / "materials" / "diploma.png",
                     "--by", "王珏", "--json")
    assert code == 0, out
    done = json.loads(out)
    assert done["proceeded"] == ["education"] and done["application"]["status"] == "awaiting_decision"
    assert {x["matter"]: x["status"] for x in done["application"]["matters"]}["education"] == "registered"
    code, out = _run("decide", no, "--matter", "employer_incentive", "--approve", "--by", "李科长", "--json")
    assert code == 0, out
    final = json.loads(out)
    assert final["status"] == "completed"
    kinds = {d["kind"] for d in final["documents"]}
    assert {"materials_notice", "education", "incentive_approval", "completion", "packet"} <= kinds


def test_correction_period_passing_refuses_with_notice(prefect, db, catalogue, form, tmp_path):
    view = _apply_without(tmp_path, form, "labour_contract")
    no = view["application_no"]
    due = _working_days_after(TODAY, 10)
    code, out = _run("followups", "run", "--day", due.isoformat(), "--json")
    assert code == 0, out
    code, out = _run("status", no, "--json")
    assert {x["matter"]: x["status"] for x in json.loads(out)["matters"]}["employer_incentive"] == "awaiting_materials"
    after = due + dt.timedelta(days=1)
    code, out = _run("followups", "run", "--day", after.isoformat(), "--json")
    assert code == 0, out
    code, out = _run("status", no, "--json")
    shown = json.loads(out)
    incentive = {x["matter"]: x for x in shown["matters"]}["employer_incentive"]
    assert incentive["status"] == "refused" and incentive["reason_code"] == "materials_not_supplied"
    assert "逾期未补正" in incentive["reason"] and "劳动合同" in incentive["reason"]
    assert shown["status"] == "completed"
    docs = {d["kind"]: d for d in shown["documents"]}
    refusal = _text(docs["refusal-employer_incentive"]["path"])
    assert "不予受理告知书" in refusal and "逾期未补正" in refusal and "行政许可法" in refusal
    assert f"{after.year}年{after.month}月{after.day}日" in refusal                # dated the day it was refused
    assert "行政复议" in refusal and "补齐上述材料后" in refusal
    assert "completion" in docs and "packet" in docs
    # a day run again refuses nothing twice
    code, out = _run("followups", "run", "--day", after.isoformat(), "--json")
    assert code == 0
    code, again = _run("status", no, "--json")
    assert json.loads(again)["documents"] == shown["documents"]


def test_intake_without_materials_key_keeps_the_earlier_behaviour(prefect, db, catalogue, form, tmp_path):
    """An intake file without `materials`: its papers were checked at the window outside the
    system; nothing waits for them (the behaviour before 补正, for the files windows already use)."""
    form.pop("materials")
    path = tmp_path / "form.yaml"
    path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
    code, out = _run("apply", path, "--json")
    assert code == 0, out
    view = json.loads(out)
    assert view["status"] == "awaiting_decision" and view["materials_tracked"] is False
    assert {x["matter"]: x["status"] for x in view["matters"]}["employer_incentive"] == "pending_decision"
    assert "materials_notice" not in {d["kind"] for d in view["documents"]}
