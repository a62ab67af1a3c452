import datetime as dt

import pytest

from onematter.rules.identity import (
    age_on, mask_id, mask_name, normalise_credit_code, normalise_id_number, sex,
)
from tests.conftest import make_id


def test_valid_id_is_normalised_and_lower_case_x_accepted():
    number = "33042219880607002" + "8"
    assert normalise_id_number(number) == number
    # find an ID whose check character is X and pass it in lower case
    for seq in range(100, 999):
        candidate = make_id("19900101", "330482", str(seq))
        if candidate.endswith("X"):
            assert normalise_id_number(candidate.lower()) == candidate
            break
    else:  # pragma: no cover
        pytest.fail("no X check digit found")


@pytest.mark.parametrize("number,message", [
    ("33048219920315121", "18位"),
    ("330482199203151218", "校验位"),
    ("33048219920315A217", "格式"),
    (make_id("19920230"), "出生日期"),
    (make_id("19920315", "999999"), "行政区划"),
])
def test_invalid_ids_are_refused_in_chinese(number, message):
    with pytest.raises(ValueError, match=message):
        normalise_id_number(number)


def test_pinghu_codes_before_and_after_1991_are_both_accepted():
    # 330482 exists since 1991, but an ID issued later carries it for a person born in 1985
    assert normalise_id_number(make_id("19850101", "330482"))
    assert normalise_id_number(make_id("19850101", "330422"))


def test_sex_and_age_derived_from_the_number():
    number = make_id("19920315", seq="121")
    assert sex(number) == "男"
    assert sex(make_id("19920315", seq="122")) == "女"
    assert age_on(number, dt.date(2026, 3, 14)) == 33
    assert age_on(number, dt.date(2026, 3, 15)) == 34


def test_masks():
    assert mask_id("330482199203151217") == "330482********1217"
    assert mask_name("陆建军") == "陆**"


def test_credit_code():
    assert normalise_credit_code("91330482ma2b3c4d5y") == "91330482MA2B3C4D5Y"
    with pytest.raises(ValueError, match="校验位"):
        normalise_credit_code("91330482MA2B3C4D5X")
    with pytest.raises(ValueError, match="18位"):
        normalise_credit_code("91330482")
