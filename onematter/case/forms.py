"""Building blocks of the one form: a strict base model, a field-level error for model checks,
and the reusable field parsers (year-month, credit code). Shared by the intake and the matters."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from onematter.rules.dates import parse_typed_date
from onematter.rules.identity import ascii_code


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


def code(value: Any) -> Any:
    """A catalogue code (course, programme, fair, bank …): printable ASCII, no spaces."""
    if not isinstance(value, str):
        return value
    text = ascii_code(value)
    if text and not re.fullmatch(r"[!-~]+", text):
        raise ValueError("代码不能含有空格")
    return text


Code = Annotated[str, BeforeValidator(code), Field(min_length=1, max_length=32)]


def typed_date(value: Any) -> Any:
    """A string in any of the ways a date is typed (rules.dates.parse_typed_date) becomes the date;
    anything else goes on to pydantic, which names the field."""
    if isinstance(value, str) and (day := parse_typed_date(value)) is not None:
        return day
    return value


TypedDate = Annotated[dt.date, BeforeValidator(typed_date)]


def parse_month(v: Any) -> Any:
    """`YYYY-MM` (or a date) → the first day of that month."""
    if isinstance(v, str):
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", v.strip()):
            raise ValueError("应为年月，格式 YYYY-MM，例如 2026-04")
        year, month = map(int, v.strip().split("-"))
        if not 1 <= month <= 12:
            raise ValueError("月份应在01—12之间")
        if year < 1900:
            raise ValueError("年份不正确")
        return dt.date(year, month, 1)
    if isinstance(v, dt.date):
        return v.replace(day=1)
    raise ValueError("应为年月，格式 YYYY-MM，例如 2026-04")


# ------------------------------------------------------------------ text a person typed

_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}   # controls, format (bidi, zero-width), unassigned


def quoted(value, limit: int = 24) -> str:
    """A value quoted back in a message: at most `limit` characters (a 1 MB value is not echoed)."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + f"…（共{len(text)}个字符）"


def clean_text(value: str) -> str:
    """NFC-normalised text with no control, bidirectional or invisible characters (NUL, U+202E,
    zero-width spaces …): what is printed is what was typed. Raises ValueError in Chinese."""
    text = unicodedata.normalize("NFC", value)
    for ch in text:
        if unicodedata.category(ch) in _BAD_CATEGORIES and ch not in "\t\n":
            raise ValueError(f"含有不可见或控制字符 U+{ord(ch):04X}，请删除后重新填写")
    if text and not text.strip():
        raise ValueError("不能只有空白")
    return text


class Strict(BaseModel):
    """The base of every form model: unknown fields refused, text stripped and checked."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=10_000)

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        """Every text a person typed into this model is checked once, before any field validator."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key, value in data.items():
            try:
                if isinstance(value, str):
                    out[key] = clean_text(value)
                elif isinstance(value, list):
                    out[key] = [clean_text(v) if isinstance(v, str) else v for v in value]
            except ValueError as exc:
                raise FieldError(str(key), str(exc)) from None
        return out


# ------------------------------------------------------------------ reading a file

MAX_DEPTH = 20


class _Loader(yaml.SafeLoader):
    """YAML without the ways a small file becomes a big one: no aliases (billion laughs), no
    nesting past MAX_DEPTH, no duplicate keys (last-wins hides a `consent: false`), and no implicit
    timestamps (dates stay text: an impossible date is a form error, not a crash)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise FormError({"file": "文件中不能使用 YAML 锚点和别名（& 与 *）"})
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise FormError({"file": f"文件嵌套过深（超过{MAX_DEPTH}层）"})
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise FormError({"file": "字段名应为文字"})
            if key in seen:
                raise FormError({"file": f"字段“{quoted(str(key))}”重复出现（第{key_node.start_mark.line + 1}行）"})
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        digits = self.construct_scalar(node)
        if len(digits) > 30:                # Python refuses >4,300 digits with a traceback: keep the text
            return digits
        return super().construct_yaml_int(node)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _no_duplicates(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise FormError({"file": f"字段“{quoted(k)}”重复出现"})
    return dict(pairs)


def _depth(value, limit: int = MAX_DEPTH) -> int:
    """Nesting depth, iteratively (no recursion on a hostile file)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_file(path: Path, *, max_bytes: int, what: str = "文件") -> Any:
    """Read a YAML or JSON file a person supplied, bounded: size, nesting, aliases, duplicate keys.
    Every problem is a FormError on the field `file`, never a traceback."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise FormError({"file": f"{path} 不是文件"})
        if size > max_bytes:
            raise FormError({"file": f"{what}过大（{size // 1024} KB），不能超过 {max_bytes // 1024} KB"})
        text = path.read_bytes().decode("utf-8-sig")
    except FormError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or ("不是 UTF-8 编码的文本" if isinstance(exc, UnicodeDecodeError) else exc)
        raise FormError({"file": f"无法读取文件 {quoted(str(path), 80)}：{reason}"}) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=_no_duplicates,
                              parse_int=lambda s: s if len(s) > 30 else int(s),
                              parse_constant=lambda s: s)
        else:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 — _Loader is a SafeLoader
    except FormError:
        raise
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        raise FormError({"file": f"文件 {quoted(path.name, 80)} 不是有效的 YAML/JSON：{quoted(str(exc), 120)}"}) from None
    except RecursionError:
        raise FormError({"file": f"文件嵌套过深（超过{MAX_DEPTH}层）"}) from None
    if _depth(data) > MAX_DEPTH:
        raise FormError({"file": f"文件嵌套过深（超过{MAX_DEPTH}层）"})
    return data
