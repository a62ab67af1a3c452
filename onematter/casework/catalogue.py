"""The catalogue: the lists the matters declare (courses, programmes, postings, fairs, banks …),
imported from YAML or JSON by code."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from sqlmodel import Session, select

from onematter import matters
from onematter.case.forms import FormError
from onematter.casework.intake import chinese_errors


class CatalogueError(FormError):
    """A refused catalogue file: {dotted field path: Chinese message}."""


def catalogue_lists() -> list:
    """Every catalogue list of every registered matter, in registry order."""
    return [c for s in matters.all_specs() for c in s.catalogue]


class _CatalogueBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _unique(self):
        for lst in catalogue_lists():
            codes = [i.code for i in getattr(self, lst.name)]
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                raise ValueError(f"{lst.name} 中代码重复：{'、'.join(dupes)}")
        return self


CatalogueIn = create_model("CatalogueIn", __base__=_CatalogueBase, **{
    lst.name: (list[lst.item], Field(default_factory=list)) for lst in catalogue_lists()})


def parse_catalogue(data) -> BaseModel:
    if not isinstance(data, dict):
        names = " / ".join(lst.name for lst in catalogue_lists())
        raise CatalogueError({"catalogue": f"目录文件应为一组字段（{names}）"})
    try:
        return CatalogueIn.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(chinese_errors(exc, root="catalogue")) from None


def import_catalogue(session: Session, catalogue: BaseModel) -> dict[str, dict[str, int]]:
    """Create or update every item by code. No commit (the caller's unit of work)."""
    counts: dict[str, dict[str, int]] = {}
    for lst in catalogue_lists():
        table = lst.table
        created = updated = 0
        for item in getattr(catalogue, lst.name):
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
        counts[lst.name] = {"created": created, "updated": updated}
    session.flush()
    return counts


def sample_catalogue(today: dt.date) -> dict:
    """Sample data (示例数据, invented), dated relative to `today` so every window is open."""
    return {lst.name: lst.sample(today) for lst in catalogue_lists()}
