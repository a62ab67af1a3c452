"""Building blocks of the one form: a strict base model, a field-level error for model checks,
and the reusable field parsers (year-month, credit code). Shared by the intake and the matters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldError(ValueError):
    """A model-level check that belongs to one field (its message is shown next to that field)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class FormError(Exception):
    """Refused input: {dotted field path: Chinese message}."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def parse_month(v: Any) -> Any:
    """`YYYY-MM` (or a date) → the first day of that month."""
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
