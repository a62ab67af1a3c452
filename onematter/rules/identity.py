"""公民身份号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015) checks, via python-stdnum."""

from __future__ import annotations

import datetime as dt
import unicodedata

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError


def normalise_id_number(value: str) -> str:
    """Validate an ID number and return it upper-cased; raises ValueError with a Chinese message.

    The region code must exist now or in the past (an ID carries the code of the place of
    registration when it was issued, so a code abolished or created around the birth year is
    accepted — stdnum's own birth-place check is stricter than that and is not used)."""
    number = ascii_code(value).upper()
    if len(number) != 18:
        raise ValueError("公民身份号码应为18位")
    if not number[:-1].isdecimal() or not (number[-1].isdecimal() or number[-1] == "X"):
        raise ValueError("公民身份号码格式不正确：前17位须为数字，末位为数字或X")
    if ric.calc_check_digit(number) != number[-1]:
        raise ValueError("公民身份号码校验位不正确，请核对")
    try:
        ric.get_birth_date(number)
    except ValidationError:
        raise ValueError("公民身份号码中的出生日期不是有效日期") from None
    info = {k: v for _, props in numdb.get("cn/loc").info(number[:6]) for k, v in props.items()}
    if "county" not in info:
        raise ValueError(f"公民身份号码前六位 {number[:6]} 不是有效的行政区划代码")
    return number


def birth_date(id_number: str) -> dt.date:
    return ric.get_birth_date(id_number)


def sex(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 == 1 else "女"


def age_on(id_number: str, day: dt.date) -> int:
    born = birth_date(id_number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def mask_id(id_number: str) -> str:
    """330482********1234 — for any place a person may see it outside a document."""
    return f"{id_number[:6]}{'*' * 8}{id_number[-4:]}"


def mask_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def ascii_code(value: str) -> str:
    """A code typed by a person (ID number, mobile, credit code, catalogue codes): compatibility
    forms normalised (NFKC: full-width １２３ → 123), then plain ASCII required — digits of other
    scripts (١٢٣) would otherwise make one person look like two."""
    code = unicodedata.normalize("NFKC", value).strip()
    if not code.isascii():
        raise ValueError("只能使用半角英文字母和数字（请检查是否混入全角、其他文字的数字或不可见字符）")
    return code


def normalise_credit_code(value: str) -> str:
    code = ascii_code(value).upper()
    try:
        return uscc.validate(code)
    except InvalidLength:
        raise ValueError("统一社会信用代码应为18位") from None
    except (InvalidFormat, InvalidComponent):
        raise ValueError("统一社会信用代码含有不允许的字符（不使用I、O、Z、S、V）") from None
    except InvalidChecksum:
        raise ValueError("统一社会信用代码校验位不正确，请核对") from None
    except ValidationError:
        raise ValueError("统一社会信用代码无效") from None
