"""The catalogue: courses, programmes, postings and fairs, imported from YAML or JSON by code."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session, select

from onematter.intake import Education, IntakeError, chinese_errors
from onematter.models import Course, Fair, Posting, Programme
from onematter.rules.identity import normalise_credit_code
from onematter.settings import TZ


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32)


class CourseIn(_Item):
    trade: str = Field(min_length=1)
    mode: Literal["订单式", "定向式", "定岗式"]
    base: str = Field(min_length=1)
    start: dt.date
    end: dt.date
    hours: int = Field(gt=0)
    capacity: int = Field(ge=0)

    @model_validator(mode="after")
    def _dates(self):
        if self.end < self.start:
            raise ValueError("结业日期不能早于开班日期")
        return self


class ProgrammeIn(_Item):
    level: Literal["大专", "本科"]
    school: str = Field(min_length=1)
    major: str = Field(min_length=1)
    intake: str = Field(min_length=1)
    opens: dt.date
    closes: dt.date

    @model_validator(mode="after")
    def _dates(self):
        if self.closes < self.opens:
            raise ValueError("报名截止日期不能早于开始日期")
        return self


class PostingIn(_Item):
    employer: str = Field(min_length=1)
    employer_code: str
    title: str = Field(min_length=1)
    category: str = Field(min_length=1)
    town: str = Field(min_length=1)
    salary_min: int = Field(ge=0)
    salary_max: int = Field(ge=0)
    education_min: Education
    headcount: int = Field(gt=0)
    veteran_preferred: bool = False
    valid_until: dt.date

    _code = field_validator("employer_code")(lambda cls, v: normalise_credit_code(v))

    @model_validator(mode="after")
    def _salary(self):
        if self.salary_max < self.salary_min:
            raise ValueError("月薪上限不能低于下限")
        return self


class FairIn(_Item):
    name: str = Field(min_length=1)
    starts_at: dt.datetime
    venue: str | None = None
    online_url: str | None = None
    capacity_offline: int = Field(default=0, ge=0)
    capacity_online: int = Field(default=0, ge=0)
    employers: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _where(self):
        if not self.venue and not self.online_url:
            raise ValueError("线下场地和线上链接至少填写一项")
        # stored in Asia/Shanghai wall-clock time (SQLite keeps no offset)
        self.starts_at = self.starts_at.replace(tzinfo=TZ) if self.starts_at.tzinfo is None \
            else self.starts_at.astimezone(TZ)
        return self


class CatalogueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    courses: list[CourseIn] = Field(default_factory=list)
    programmes: list[ProgrammeIn] = Field(default_factory=list)
    postings: list[PostingIn] = Field(default_factory=list)
    fairs: list[FairIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self):
        for name in ("courses", "programmes", "postings", "fairs"):
            codes = [i.code for i in getattr(self, name)]
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                raise ValueError(f"{name} 中代码重复：{'、'.join(dupes)}")
        return self


TABLES = {"courses": Course, "programmes": Programme, "postings": Posting, "fairs": Fair}


def parse_catalogue(data) -> CatalogueIn:
    if not isinstance(data, dict):
        raise IntakeError({"catalogue": "目录文件应为一组字段（courses / programmes / postings / fairs）"})
    try:
        return CatalogueIn.model_validate(data)
    except ValidationError as exc:
        raise IntakeError(chinese_errors(exc)) from None


def import_catalogue(session: Session, catalogue: CatalogueIn) -> dict[str, dict[str, int]]:
    """Create or update every item by code. No commit (the caller's unit of work)."""
    counts: dict[str, dict[str, int]] = {}
    for name, table in TABLES.items():
        created = updated = 0
        for item in getattr(catalogue, name):
            row = session.exec(select(table).where(table.code == item.code)).first()
            values = item.model_dump()
            if row is None:
                session.add(table(**values))
                created += 1
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                session.add(row)
                updated += 1
        counts[name] = {"created": created, "updated": updated}
    session.flush()
    return counts


def sample_catalogue(today: dt.date) -> dict:
    """Sample data (示例数据, invented), dated relative to `today` so every window is open."""
    d = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    at = lambda days, hour: f"{today + dt.timedelta(days=days)}T{hour:02d}:00:00+08:00"  # noqa: E731
    return {
        "courses": [
            {"code": "PX-QCWX-01", "trade": "汽车维修（示例）", "mode": "订单式", "base": "平湖市退役军人就业创业培训基地",
             "start": d(14), "end": d(44), "hours": 120, "capacity": 30},
            {"code": "PX-DZSW-01", "trade": "电子商务（示例）", "mode": "定向式", "base": "平湖市退役军人就业创业培训基地",
             "start": d(21), "end": d(35), "hours": 80, "capacity": 25},
            {"code": "PX-TZJX-01", "trade": "特种机械操作（示例）", "mode": "定岗式", "base": "独山港镇实训中心（示例）",
             "start": d(10), "end": d(40), "hours": 160, "capacity": 2},
        ],
        "programmes": [
            {"code": "XL-DZ-JD", "level": "大专", "school": "嘉兴职业技术学院（示例）", "major": "机电一体化技术",
             "intake": f"{today.year + 1}年春季班", "opens": d(-10), "closes": d(30)},
            {"code": "XL-BK-GL", "level": "本科", "school": "嘉兴大学（示例）", "major": "工商管理（专升本）",
             "intake": f"{today.year + 1}年春季班", "opens": d(-10), "closes": d(30)},
        ],
        "postings": [
            {"code": "GW-001", "employer": "平湖示例汽车零部件有限公司", "employer_code": "91330482MA2B3C4D5Y",
             "title": "汽车装配技术员", "category": "制造", "town": "钟埭街道", "salary_min": 6000, "salary_max": 9000,
             "education_min": "高中", "headcount": 5, "veteran_preferred": True, "valid_until": d(30)},
            {"code": "GW-002", "employer": "乍浦示例物流有限公司", "employer_code": "91330482MA2B3C4D5Y",
             "title": "仓储主管", "category": "物流", "town": "乍浦镇", "salary_min": 7000, "salary_max": 10000,
             "education_min": "大专", "headcount": 2, "veteran_preferred": False, "valid_until": d(20)},
            {"code": "GW-003", "employer": "平湖示例安保服务有限公司", "employer_code": "91330482MA2B3C4D5Y",
             "title": "安保队长", "category": "安保", "town": "当湖街道", "salary_min": 5500, "salary_max": 8000,
             "education_min": "初中", "headcount": 3, "veteran_preferred": True, "valid_until": d(45)},
            {"code": "GW-004", "employer": "独山港示例机械有限公司", "employer_code": "91330482MA2B3C4D5Y",
             "title": "叉车司机", "category": "制造", "town": "独山港镇", "salary_min": 6500, "salary_max": 8500,
             "education_min": "初中", "headcount": 4, "veteran_preferred": False, "valid_until": d(15)},
            {"code": "GW-005", "employer": "平湖示例电商有限公司", "employer_code": "91330482MA2B3C4D5Y",
             "title": "电商运营专员", "category": "电商", "town": "当湖街道", "salary_min": 5000, "salary_max": 7000,
             "education_min": "大专", "headcount": 2, "veteran_preferred": True, "valid_until": d(25)},
        ],
        "fairs": [
            {"code": "ZP-01", "name": "平湖市退役军人专场招聘会（示例）", "starts_at": at(7, 9),
             "venue": "平湖市退役军人服务中心一楼大厅", "online_url": "https://example.invalid/fair/zp-01",
             "capacity_offline": 200, "capacity_online": 500,
             "employers": ["平湖示例汽车零部件有限公司", "乍浦示例物流有限公司", "平湖示例安保服务有限公司"]},
            {"code": "ZP-02", "name": "独山港镇退役军人就业对接会（示例）", "starts_at": at(21, 14),
             "venue": "独山港镇退役军人服务站", "online_url": None, "capacity_offline": 80, "capacity_online": 0,
             "employers": ["独山港示例机械有限公司"]},
        ],
    }
