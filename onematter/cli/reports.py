"""`onematter report monthly`: the monthly statistics."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer

from onematter.cli._common import db, emit, fail, guarded
from onematter.services import reports

report_app = typer.Typer(help="统计报告", no_args_is_help=True)


@report_app.command("monthly")
@guarded
def report_monthly(month: Optional[str] = typer.Option(None, "--month", help="YYYY-MM（默认上月）"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """The monthly statistics (PDF and CSV) for a month, default the previous one."""
    try:
        first = dt.date.fromisoformat(f"{month}-01") if month else None
    except ValueError:
        fail({"error": "invalid_month", "fields": {"month": "应为年月，格式 YYYY-MM"}}, 2, "--month 应为 YYYY-MM", as_json)
    db()
    made = reports.monthly(month=first)
    if as_json:
        emit(made)
        return
    typer.echo(f"月度统计 {made['figures']['month']}：受理 {made['figures']['applications']} 件")
    typer.echo(f"  {made['pdf']}\n  {made['csv']}")
