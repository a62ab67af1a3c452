"""`onematter followups run`: rehearse the follow-ups of a day, or several."""

from __future__ import annotations

import datetime as dt
import sys

import typer

from onematter.cli._common import db, emit, fail, guarded
from onematter.services import followups

followups_app = typer.Typer(help="定时跟进（按日演练）", no_args_is_help=True)


@followups_app.command("run")
@guarded
def followups_run(day: str = typer.Option(..., "--day", help="YYYY-MM-DD：按该日的时刻运行当日所有跟进"),
                  days: int = typer.Option(1, "--days", help="从 --day 起连续运行的天数"),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Run everything due on a day (or several), in-process, as the schedules would; print counts."""
    try:
        first = dt.date.fromisoformat(day)
    except ValueError:
        fail({"error": "invalid_day", "fields": {"day": "应为日期，格式 YYYY-MM-DD"}}, 2, "--day 应为日期，格式 YYYY-MM-DD", as_json)
    db()
    if not as_json and sys.stdout.isatty():        # a progress bar on a terminal only
        with typer.progressbar(length=days, label="跟进演练", show_pos=True) as bar:
            done = followups.run(first=first, days=days, each=lambda _day: bar.update(1))
    else:
        done = followups.run(first=first, days=days)
    if as_json:
        emit(done if days > 1 else done["days"][0])
        return
    for k, v in sorted(done["totals"].items()):
        typer.echo(f"  {k:<28} {v}")
