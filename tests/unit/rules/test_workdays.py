import datetime as dt

from onematter.policy import Policy, YearHolidays, load_policy
from onematter.rules.workdays import add_working_days, is_workday


def test_national_holiday_and_swapped_working_day_2026():
    policy = load_policy()
    assert not is_workday(dt.date(2026, 10, 1), policy)     # National Day
    # 2026-09-30 (Wednesday) + 3 working days skips the Golden Week
    assert add_working_days(dt.date(2026, 9, 30), 1, policy) > dt.date(2026, 10, 7)


def test_deadline_crossing_into_an_unknown_year_falls_back_to_weekends():
    policy = load_policy()
    # 2026-12-28 (Mon) + 10 working days: 29,30,31 Dec, then 2027 weekdays only (no table)
    assert add_working_days(dt.date(2026, 12, 28), 10, policy) == dt.date(2027, 1, 11)


def test_policy_holiday_table_is_used_for_years_the_package_does_not_know():
    base = load_policy()
    policy = Policy.model_validate({**base.model_dump(), "holidays": {2027: YearHolidays(
        holidays=[dt.date(2027, 1, 1)], workdays=[dt.date(2027, 1, 2)]).model_dump()}})
    assert not is_workday(dt.date(2027, 1, 1), policy)
    assert is_workday(dt.date(2027, 1, 2), policy)   # a Saturday made a working day
    assert is_workday(dt.date(2027, 1, 4), policy)
