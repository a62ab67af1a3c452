"""The one form (一件事联办申请表) as a pydantic model, and its Chinese error messages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, ValidationError, create_model, field_validator, model_validator

from onematter import matters
from onematter.case.forms import FieldError, FormError, Strict, TypedDate, quoted
from onematter.policy import load_policy
from onematter.rules.identity import age_on, ascii_code, birth_date, normalise_id_number
from onematter.config.settings import today

Category = Literal["义务兵", "军士", "军官"]
Placement = Literal["自主就业", "安排工作", "退休", "转业", "复员"]
Education = Literal["初中", "高中", "中专", "大专", "本科", "硕士及以上"]

_Strict = Strict


def _town(value: str) -> str:
    towns = load_policy().towns
    if value not in towns:
        raise ValueError(f"“{quoted(value)}”不是本市的镇街道，可选：{'、'.join(towns)}")
    return value


class Intentions(_Strict):
    categories: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(default_factory=list, max_length=20)
    towns: list[str] = Field(default_factory=list, max_length=20)
    min_salary: int | None = Field(default=None, ge=0, le=1_000_000)

    @field_validator("towns")
    @classmethod
    def _towns(cls, v: list[str]) -> list[str]:
        return [_town(t) for t in v]


class Applicant(_Strict):
    name: str = Field(min_length=1, max_length=30)
    id_number: str

    @field_validator("name")
    @classmethod
    def _printable(cls, v: str) -> str:
        """A name the documents could not print is refused here, before anything is stored."""
        from onematter.documents.render import RenderError, check_glyphs  # lazy: the document engine only when a name is checked for printability
        try:
            check_glyphs([v])
        except RenderError as exc:
            raise ValueError(f"姓名无法打印：{exc}") from None
        return v
    mobile: str
    discharge_date: TypedDate
    category: Category
    placement: Placement
    education: Education
    town: str
    intentions: Intentions = Field(default_factory=Intentions)

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str) -> str:
        number = normalise_id_number(v)
        age = age_on(number, today())
        if not 16 <= age <= 75:
            raise ValueError(f"按身份号码计算，申请人年龄为{age}岁，不在16至75岁范围内")
        return number

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str) -> str:
        v = ascii_code(v).replace(" ", "").replace("-", "")
        if not re.fullmatch(r"1[3-9][0-9]{9}", v):
            raise ValueError("应为11位大陆手机号码，以13—19开头")
        return v

    @field_validator("discharge_date")
    @classmethod
    def _discharge(cls, v: dt.date) -> dt.date:
        if v > today():
            raise ValueError("退役时间不能晚于今天")
        return v

    @field_validator("town")
    @classmethod
    def _town(cls, v: str) -> str:
        return _town(v)

    @model_validator(mode="after")
    def _discharge_after_16(self) -> "Applicant":
        born = birth_date(self.id_number)
        sixteen = born.replace(year=born.year + 16) if (born.month, born.day) != (2, 29) else dt.date(born.year + 16, 3, 1)
        if self.discharge_date < sixteen:
            raise FieldError("discharge_date", "退役时间应在年满16周岁之后")
        return self


class Staff(_Strict):
    name: str = Field(min_length=1, max_length=30)
    station: str = Field(min_length=1, max_length=60)


DeliveryMethod = Literal["window", "ems", "electronic"]


class DeliveryChoice(_Strict):
    """统一出件 (domain.md §1.3): how the result documents will reach the applicant, chosen at the
    window — 窗口领取 (the default), EMS 邮寄 to an address, or 电子送达 (an SMS link). The receipt
    promises exactly this."""
    method: DeliveryMethod = "window"
    address: str | None = Field(default=None, max_length=120)

    @model_validator(mode="after")
    def _address(self) -> "DeliveryChoice":
        if self.method == "ems" and len((self.address or "").strip()) < 6:
            raise FieldError("address", "选择 EMS 邮寄时请填写完整的邮寄地址（含镇街道、门牌号）")
        if self.method != "ems":
            self.address = None
        return self


class _MattersBase(_Strict):
    @model_validator(mode="after")
    def _non_empty(self) -> "_MattersBase":
        if not self.selected():
            raise ValueError("请至少选择一个申请事项")
        return self

    def selected(self) -> list[str]:
        return [m for m in matters.keys() if getattr(self, m) is not None]


# one optional field per registered matter, in registry order: its request model
Matters = create_model("Matters", __base__=_MattersBase,
                       **{s.key: (s.request | None, None) for s in matters.all_specs()})


def matter_titles() -> dict[str, str]:
    return {s.key: s.title for s in matters.all_specs()}


class Intake(_Strict):
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=100)
    applicant: Applicant
    consent: StrictBool
    staff: Staff
    matters: Matters
    # scans presented, by material key (policy `materials`): paths relative to the intake file,
    # read and checked by services.applications.prepare (the staff page uploads them instead)
    materials: dict[str, list[str]] = Field(default_factory=dict, max_length=20)
    delivery: DeliveryChoice = Field(default_factory=DeliveryChoice)

    @field_validator("consent")
    @classmethod
    def _consent(cls, v: bool) -> bool:
        if v is not True:
            raise ValueError("未获得信息共享授权，不能受理。请申请人签署信息共享授权后再提交")
        return v


class IntakeError(FormError):
    """Refused intake: {dotted field path: Chinese message}."""


_MESSAGES = {
    "missing": "必填项，未填写",
    "extra_forbidden": "不认识的字段，请检查拼写",
    "string_too_short": "不能为空",
    "string_too_long": "过长，最多{max_length}个字符",
    "date_from_datetime_parsing": "应为日期，如 2024-09-01、20240901 或 2024年9月1日",
    "date_parsing": "应为日期，如 2024-09-01、20240901 或 2024年9月1日",
    "date_type": "应为日期，如 2024-09-01、20240901 或 2024年9月1日",
    "date_from_datetime_inexact": "应为日期，如 2024-09-01、20240901 或 2024年9月1日",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false（不加引号）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值过大",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "date_from_datetime_inexact": "应为日期，如 2024-09-01、20240901 或 2024年9月1日",
    "date_past": "日期应早于今天",
    "date_future": "日期应晚于今天",
    "datetime_parsing": "应为日期时间，格式 YYYY-MM-DDTHH:MM",
    "datetime_type": "应为日期时间，格式 YYYY-MM-DDTHH:MM",
    "datetime_from_date_parsing": "应为日期时间，格式 YYYY-MM-DDTHH:MM",
    "greater_than": "应大于{gt}",
    "less_than": "应小于{lt}",
    "too_long": "项目过多，最多{max_length}项",
    "too_short": "至少需要{min_length}项",
    "recursion_loop": "嵌套过深",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "model_type": "应为一组字段",
    "model_attributes_type": "应为一组字段",
    "dict_type": "应为一组字段",
}


MAX_FIELDS = 20          # a file with thousands of wrong fields gets the first ones and a count


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def chinese_errors(exc: ValidationError, root: str = "intake") -> dict[str, str]:
    """{dotted field path: Chinese message}; values are quoted back short, never whole."""
    fields: dict[str, str] = {}
    errors = exc.errors()
    for err in errors:
        if len(fields) >= MAX_FIELDS:
            fields[root] = f"另有{len(errors) - MAX_FIELDS}处错误未列出，请先改正以上各项"
            break
        loc = [quoted(str(p), 40) for p in err["loc"]]
        ctx = err.get("ctx") or {}
        error = ctx.get("error")
        if isinstance(error, FieldError):
            loc.append(quoted(error.field, 40))
            message = error.message
        elif isinstance(error, ValueError):
            message = str(error) if _chinese(str(error)) else "填写有误，请核对"
        elif err["type"] == "literal_error":
            message = f"“{quoted(err.get('input'))}”不是可选值，可选：{ctx.get('expected', '').replace(' or ', ', ')}".replace("'", "")
        elif err["type"] in _MESSAGES:
            message = _MESSAGES[err["type"]].format(**ctx)
        else:
            message = "填写有误，请核对"
        # drop pydantic's union/function tags from the path
        path = ".".join(p for p in loc if not p.startswith("function-") and p not in {"constrained-str"})
        fields.setdefault(path or root, message)
    return fields


def parse_intake(data: Any) -> Intake:
    if not isinstance(data, dict):
        raise IntakeError({"intake": "申请表应为一组字段（YAML 或 JSON 对象）"})
    try:
        return Intake.model_validate(data)
    except ValidationError as exc:
        raise IntakeError(chinese_errors(exc)) from None
