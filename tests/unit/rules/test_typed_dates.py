"""A date as a clerk types it at the window (issue 19): every usual way is the same day."""

from __future__ import annotations

import datetime as dt

import pytest

from onematter.rules.dates import parse_typed_date

DAY = dt.date(2024, 9, 1)


@pytest.mark.parametrize("typed", ["2024-09-01", "20240901", "2024-9-1", "2024/09/01", "2024.9.1", "2024年9月1日",
                                   "２０２４年９月１日", " 2024-09-01 ", "2024年09月01日"])
def test_every_usual_way_is_the_same_day(typed):
    assert parse_typed_date(typed) == DAY


@pytest.mark.parametrize("typed", ["2024-13-01", "20240230", "2024-9", "240901", "九月一日", "2024-09-01T00:00", ""])
def test_anything_else_is_not_a_date(typed):
    assert parse_typed_date(typed) is None


def test_the_intake_takes_them_and_names_the_field_otherwise(form):
    from onematter.case.forms import FormError
    from onematter.casework.intake import parse_intake
    form["applicant"]["discharge_date"] = "2025年9月1日"
    form["matters"]["employer_incentive"]["contract_start"] = "20260401"
    intake = parse_intake(form)
    assert intake.applicant.discharge_date == dt.date(2025, 9, 1)
    assert intake.matters.employer_incentive.contract_start == dt.date(2026, 4, 1)
    form["applicant"]["discharge_date"] = "2025年13月1日"
    with pytest.raises(FormError) as exc:
        parse_intake(form)
    assert "2024年9月1日" in exc.value.fields["applicant.discharge_date"]
