"""`onematter tasks`: the staff tasks the follow-ups create, and recording their results."""

from __future__ import annotations

from typing import Optional

import typer

from onematter.casework.staff_tasks import TaskRefused
from onematter.cli._common import db, db_ready, emit, fail, guarded
from onematter.config.db import session_scope
from onematter.services import staff_tasks

tasks_app = typer.Typer(help="工作人员待办", no_args_is_help=True)


@tasks_app.command("list")
@guarded
def tasks_list(status: str = typer.Option("open", "--status", help="open|done|all"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Staff tasks the follow-ups created (fair outcomes, training completion …)."""
    if not db_ready(as_json):
        emit([]) if as_json else None
        return
    with session_scope(readonly=True) as session:
        rows = staff_tasks.tasks(session, status=status)
    if as_json:
        emit(rows)
        return
    for r in rows:
        typer.echo(f"{r['id'][:8]}  {r['due_on']}  {'超期 ' if r['overdue'] else ''}{r['title']}（{r['station']}）")


@tasks_app.command("done")
@guarded
def tasks_done(task_id: str, result: str = typer.Option(..., "--result", help="结果，如 hired|interviewing|not_hired|completed|dropped"),
               by: str = typer.Option(..., "--by", help="办理人姓名"), note: str = typer.Option("", "--note"),
               ended: Optional[str] = typer.Option(None, "--ended", help="年度核验：劳动合同最后在岗月份 YYYY-MM"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Record a task's result (once)."""
    db()
    try:
        out = staff_tasks.complete(task_id=task_id, result=result, by=by, note=note, ended=ended)
    except TaskRefused as exc:
        fail({"error": "task_refused", "message": str(exc)}, 2, str(exc), as_json)
    emit(out) if as_json else typer.echo(f"已办结待办 {out['id'][:8]}：{result}")
