"""`onematter ratings`: 好差评 — the applicants' ratings and this month's figures per station."""

from __future__ import annotations

from typing import Optional

import typer

from onematter.cli._common import db_ready, emit, guarded
from onematter.services import ratings

ratings_app = typer.Typer(help="好差评", no_args_is_help=True)


@ratings_app.command("list")
@guarded
def ratings_list(station: Optional[str] = typer.Option(None, "--station", help="只列出该受理网点"),
                 as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Every rating, the newest first, with its 整改 task (a 差评's)."""
    if not db_ready(as_json):
        emit([]) if as_json else None
        return
    rows = ratings.listing(station=station or "")
    if as_json:
        emit(rows)
        return
    for r in rows:
        task = r["task"]
        fix = "" if task is None else f"  整改：{task['result'] or '待整改'}（{task['due_on']} 前）"
        why = "、".join(r["reasons"])
        typer.echo(f"{r['at'][:16]}  {r['application_no']}  {r['station']}  {r['level_label']}"
                   f"{'：' + why if why else ''}{fix}")
