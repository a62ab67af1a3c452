"""The one form (一件事联办申请表) as a pydantic model, and its Chinese error messages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from onematter.policy import load_policy
from onematter.rules.identity import age_on, birth_date, normalise_credit_code, normalise_id_number
from onematter.settings import today

Category = Literal["义务兵", "军士", "军官"]
Placement = Literal["自主就业", "安排工作", "退休", "转业", "复员"]
Education = Literal["初中", "高中", "中专", "大专", "本科", "硕士及以上"]

MATTER_TITLES = {
    "training": "职业技能培训",
    "education": "学历教育提升",
    "job_push": "就业信息推送",
    "job_fair": "专场招聘会",
    "employer_incentive": "企业吸纳退役军人就业优惠政策申请",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _town(value: str) -> str:
    towns = load_policy().towns
    if value not in towns:
        raise ValueError(f"“{value}”不是本市的镇街道，可选：{'、'.join(towns)}")
    return value


class Intentions(_Strict):
    categories: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(default_factory=list)
    towns: list[str] = Field(default_factory=list)
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
        from onematter.documents import RenderError, check_glyphs
        try:
            check_glyphs([v])
        except RenderError as exc:
            raise ValueError(f"姓名无法打印：{exc}") from None
        return v
    mobile: str
    discharge_date: dt.date
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
        v = v.replace(" ", "").replace("-", "")
        if not re.fullmatch(r"1[3-9]\d{9}", v):
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
            raise _FieldError("discharge_date", "退役时间应在年满16周岁之后")
        return self


class Staff(_Strict):
    name: str = Field(min_length=1, max_length=30)
    station: str = Field(min_length=1, max_length=60)


class TrainingRequest(_Strict):
    course: str = Field(min_length=1, max_length=32)


class EducationRequest(_Strict):
    programme: str = Field(min_length=1, max_length=32)


class JobPushRequest(_Strict):
    pass


class JobFairRequest(_Strict):
    fair: str | None = Field(default=None, max_length=32)
    mode: Literal["线下", "线上"] = "线下"


class IncentiveRequest(_Strict):
    employer_name: str = Field(min_length=1, max_length=100)
    employer_code: str
    position: str = Field(min_length=1, max_length=50)
    contract_start: dt.date
    contract_end: dt.date
    social_insurance_start: dt.date

    @field_validator("employer_code")
    @classmethod
    def _code(cls, v: str) -> str:
        return normalise_credit_code(v)

    @field_validator("social_insurance_start", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Any:
        if isinstance(v, str):
            if not re.fullmatch(r"\d{4}-\d{2}", v.strip()):
                raise ValueError("应为年月，格式 YYYY-MM，例如 2026-04")
            year, month = map(int, v.strip().split("-"))
            if not 1 <= month <= 12:
                raise ValueError("月份应在01—12之间")
            return dt.date(year, month, 1)
        if isinstance(v, dt.date):
            return v.replace(day=1)
        raise ValueError("应为年月，格式 YYYY-MM，例如 2026-04")

    @model_validator(mode="after")
    def _contract(self) -> "IncentiveRequest":
        if self.contract_end <= self.contract_start:
            raise _FieldError("contract_end", "劳动合同终止日期应晚于起始日期")
        return self


class Matters(_Strict):
    training: TrainingRequest | None = None
    education: EducationRequest | None = None
    job_push: JobPushRequest | None = None
    job_fair: JobFairRequest | None = None
    employer_incentive: IncentiveRequest | None = None

    @model_validator(mode="after")
    def _non_empty(self) -> "Matters":
        if not self.selected():
            raise ValueError("请至少选择一个申请事项")
        return self

    def selected(self) -> list[str]:
        return [m for m in MATTER_TITLES if getattr(self, m) is not None]


class Intake(_Strict):
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=100)
    applicant: Applicant
    consent: bool
    staff: Staff
    matters: Matters

    @field_validator("consent")
    @classmethod
    def _consent(cls, v: bool) -> bool:
        if v is not True:
            raise ValueError("未获得信息共享授权，不能受理。请申请人签署信息共享授权后再提交")
        return v


class _FieldError(ValueError):
    """A model-level check that belongs to one field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class IntakeError(Exception):
    """Refused input: {dotted field path: Chinese message}."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


_MESSAGES = {
    "missing": "必填项，未填写",
    "extra_forbidden": "不认识的字段，请检查拼写",
    "string_too_short": "不能为空",
    "string_too_long": "过长，最多{max_length}个字符",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期，格式 YYYY-MM-DD",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "model_type": "应为一组字段",
    "model_attributes_type": "应为一组字段",
    "dict_type": "应为一组字段",
}


def chinese_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        ctx = err.get("ctx") or {}
        error = ctx.get("error")
        if isinstance(error, _FieldError):
            loc.append(error.field)
            message = error.message
        elif isinstance(error, ValueError):
            message = str(error)
        elif err["type"] == "literal_error":
            message = f"“{err.get('input')}”不是可选值，可选：{ctx.get('expected', '').replace(' or ', ', ')}".replace("'", "")
        elif err["type"] in _MESSAGES:
            message = _MESSAGES[err["type"]].format(**ctx)
        else:
            message = f"填写有误：{err['msg']}"
        # drop pydantic's union/function tags from the path
        path = ".".join(p for p in loc if not p.startswith("function-") and p not in {"constrained-str"})
        fields.setdefault(path or "intake", message)
    return fields


def parse_intake(data: Any) -> Intake:
    if not isinstance(data, dict):
        raise IntakeError({"intake": "申请表应为一组字段（YAML 或 JSON 对象）"})
    try:
        return Intake.model_validate(data)
    except ValidationError as exc:
        raise IntakeError(chinese_errors(exc)) from None
