"""The one form: every refusal names the field in Chinese."""

import pytest

from onematter.casework.intake import IntakeError, parse_intake
from tests.conftest import make_id


def _errors(form):
    with pytest.raises(IntakeError) as info:
        parse_intake(form)
    return info.value.fields


def test_example_form_is_valid(env, form):
    intake = parse_intake(form)
    assert intake.matters.selected() == ["training", "education", "job_push", "job_fair", "employer_incentive"]
    assert str(intake.matters.employer_incentive.social_insurance_start) == "2026-04-01"


def test_consent_is_required(env, form):
    form["consent"] = False
    assert "信息共享授权" in _errors(form)["consent"]


def test_each_bad_field_is_named(env, form):
    a = form["applicant"]
    a.update(name="", mobile="12345678901", category="士兵", town="上海", discharge_date="2099-01-01")
    a["id_number"] = a["id_number"][:-1] + ("0" if a["id_number"][-1] != "0" else "1")
    form["matters"]["employer_incentive"]["employer_code"] = "91330482MA2B3C4D5X"
    form["matters"]["employer_incentive"]["social_insurance_start"] = "2026-13"
    fields = _errors(form)
    assert fields["applicant.name"] == "不能为空"
    assert "校验位" in fields["applicant.id_number"]
    assert "手机号码" in fields["applicant.mobile"]
    assert "义务兵" in fields["applicant.category"]
    assert "镇街道" in fields["applicant.town"]
    assert "晚于今天" in fields["applicant.discharge_date"]
    assert "校验位" in fields["matters.employer_incentive.employer_code"]
    assert "月份" in fields["matters.employer_incentive.social_insurance_start"]


def test_age_limits_and_discharge_after_sixteen(env, form):
    form["applicant"]["id_number"] = make_id("20150101")
    assert "16至75岁" in _errors(form)["applicant.id_number"]
    form["applicant"]["id_number"] = make_id("20080101")   # 18 on the application date
    form["applicant"]["discharge_date"] = "2023-06-01"     # at 15
    assert "16周岁" in _errors(form)["applicant.discharge_date"]


def test_no_matter_selected_and_unknown_keys(env, form):
    form["matters"] = {}
    form["applicant"]["nickname"] = "x"
    fields = _errors(form)
    assert "至少选择一个" in fields["matters"]
    assert "不认识的字段" in fields["applicant.nickname"]


def test_missing_field(env, form):
    del form["applicant"]["mobile"]
    assert _errors(form)["applicant.mobile"] == "必填项，未填写"


def test_contract_end_before_start(env, form):
    form["matters"]["employer_incentive"]["contract_end"] = "2026-03-01"
    assert "晚于起始日期" in _errors(form)["matters.employer_incentive.contract_end"]
