"""`onematter catalog`: import a catalogue file, write the sample one."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from onematter.case.forms import FormError
from onematter.casework.catalogue import parse_catalogue
from onematter.cli._common import CATALOGUE_MAX_BYTES, db, emit, fail, fields_text, guarded, load
from onematter.services import catalogue

catalog_app = typer.Typer(help="目录（培训课程、学历专业、岗位、招聘会）", no_args_is_help=True)


@catalog_app.command("import")
@guarded
def catalog_import(file: Path, as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or update courses, programmes, postings and fairs by code."""
    try:
        parsed = parse_catalogue(load(file, CATALOGUE_MAX_BYTES, "目录文件"))
    except FormError as exc:
        fail({"error": "invalid_catalogue", "fields": exc.fields}, 2, fields_text(exc.fields), as_json)
    db()
    counts = catalogue.import_catalogue(catalogue=parsed)
    if as_json:
        emit(counts)
    else:
        for name, c in counts.items():
            typer.echo(f"{name}: 新增 {c['created']}，更新 {c['updated']}")


@catalog_app.command("sample")
def catalog_sample(file: Path) -> None:
    """Write the sample catalogue (示例数据), dated relative to today, to FILE."""
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(yaml.safe_dump(catalogue.sample(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    typer.echo(str(file))
