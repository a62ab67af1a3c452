"""Policy data: versioned YAML loaded into typed models. The core fields are typed here; each
matter's own block (`incentive`, `startup_loan` …) is typed by its matter module and validated
when the policy is loaded."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from onematter.config.settings import get_settings

T = TypeVar("T", bound=BaseModel)


class YearHolidays(BaseModel):
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)


class ServiceCentre(BaseModel):
    address: str
    phone: str
    hours: str


class Remedy(BaseModel):
    review_body: str = "平湖市人民政府"
    review_days: int = 60
    review_law: str = "《中华人民共和国行政复议法》"
    court: str = "有管辖权的人民法院"
    litigation_months: int = 6
    litigation_law: str = "《中华人民共和国行政诉讼法》第四十六条"


class TrainingBase(BaseModel):
    address: str
    reporting: str


class Followups(BaseModel):
    quiet_hours: tuple[int, int] = (21, 8)
    daily_cap: int = 3
    max_attempts: int = 5
    backoff_seconds: int = 60
    fair_outcome_after_working_days: int = 3
    training_completion_after_working_days: int = 2
    visits_after_months: list[int] = Field(default_factory=lambda: [1, 3, 6])


class Material(BaseModel):
    """One item of the application's one set of materials (一套材料, domain.md §1.1)."""
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z_]{1,39}$")
    name: str
    taken: str                          # 原件核验 / 复印件 N份 / 扫描件 …
    needed_by: list[str]                # "all" (every application) or matter keys
    shared: bool = False                # waived: the data is shared by another department

    def needed_for(self, matter_keys: set[str] | list[str]) -> bool:
        """Whether an application with these matters needs it (waived ones never do)."""
        return not self.shared and ("all" in self.needed_by or bool(set(self.needed_by) & set(matter_keys)))


class Rating(BaseModel):
    """好差评 (domain.md §1.4): a 差评's 整改 task is due this many working days after it."""
    rectify_days: int = Field(default=15, ge=1, le=60)


class Retention(BaseModel):
    """个人信息保护法 Art. 19, 47 (domain.md §1.5): `years` after a person's last application closed,
    their personal data is anonymised; the documents are then archived (the PDFs moved out of
    service into the archive, their stored contexts erased) or deleted; a person with a record of
    one of `keep_id_hash_for` keeps the keyed hash of their ID, so a rule that counts across a
    lifetime can still recognise them."""
    model_config = ConfigDict(extra="forbid")
    years: int = Field(default=10, ge=1, le=100)
    documents: Literal["archive", "delete"] = "archive"
    keep_id_hash_for: list[str] = Field(default_factory=list)      # matter keys (the shipped policy: the loan)


class Policy(BaseModel):
    model_config = ConfigDict(extra="allow")      # matter blocks, typed by their modules

    version: str
    issued: dt.date
    application_no_prefix: str
    towns: list[str]
    stations: list[str] = Field(default_factory=list)   # empty: any station name (older policy files)
    deadlines_working_days: dict[str, int]
    job_push_limit: int
    citations: dict[str, str]
    holidays: dict[int, YearHolidays] = Field(default_factory=dict)
    local_rules: dict[str, Any] = Field(default_factory=dict)      # cited as {local:KEY} (load_policy)
    service_centre: ServiceCentre
    document_number: str = "平退役军人〔{year}〕{serial}号"
    remedy: Remedy = Field(default_factory=Remedy)
    training_bases: dict[str, TrainingBase] = Field(default_factory=dict)
    education_tuition: str | None = None
    followups: Followups = Field(default_factory=Followups)
    materials: list[Material] = Field(default_factory=list)
    correction_days: int = Field(default=10, ge=1, le=60)     # 补正 period, working days
    rating: Rating = Field(default_factory=Rating)
    retention: Retention = Field(default_factory=Retention)
    _blocks: dict[str, Any] = PrivateAttr(default_factory=dict)
    _source: str = PrivateAttr(default="")

    def material(self, key: str) -> Material | None:
        return next((m for m in self.materials if m.key == key), None)

    def block(self, name: str, model: type[T]) -> T:
        """A matter's policy block, validated by the matter's model (cached)."""
        if name not in self._blocks:
            self._blocks[name] = model.model_validate((self.model_extra or {}).get(name))
        return self._blocks[name]


class PolicyError(Exception):
    pass


DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.yaml")


@lru_cache
def load_policy(path: Path | None = None) -> Policy:
    """The policy in force (ONEMATTER_POLICY_FILE, else the shipped file). Each matter's own block
    is validated by the registry (`matters.check_policy`), which knows the matters."""
    path = path or get_settings().policy_file or DEFAULT_POLICY_FILE
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    rules = {key: LocalRule.model_validate(value) for key, value in (raw.get("local_rules") or {}).items()}
    policy = Policy.model_validate(_cite_local_rules(raw, rules))
    policy._source = str(path)
    return policy


class LocalRule(BaseModel):
    """A local 规范性文件 the documents cite: 《title》（文号）and the article that governs."""
    title: str
    number: str
    article: str = ""

    def cited(self) -> str:
        return f"《{self.title}》（{self.number}）{self.article}"


_LOCAL = re.compile(r"\{local:([a-z_]+)\}")


def _cite_local_rules(value, rules: dict[str, LocalRule]):
    """Every `{local:KEY}` in the policy's texts written out as the local rule's citation."""
    if isinstance(value, str):
        def cite(m: re.Match) -> str:
            if m.group(1) not in rules:
                raise PolicyError(f"政策数据引用了未登记的本地规范性文件 {m.group(1)}（local_rules）")
            return rules[m.group(1)].cited()
        return _LOCAL.sub(cite, value)
    if isinstance(value, dict):
        return {k: _cite_local_rules(v, rules) for k, v in value.items()}
    if isinstance(value, list):
        return [_cite_local_rules(v, rules) for v in value]
    return value
