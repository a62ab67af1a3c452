"""`onematter notifications`: the outbox, and a veteran's 退订."""

from __future__ import annotations

from typing import Optional

import typer

from onematter.cli._common import db, db_ready, emit, fail, guarded
from onematter.config.db import session_scope
from onematter.followups.outbox import STATUS_LABELS
from onematter.services import notifications

notifications_app = typer.Typer(help="消息（发件箱）", no_args_is_help=True)


@notifications_app.command("list")
@guarded
def notifications_list(status: Optional[str] = typer.Option(None, "--status", help="pending|sent|failed|suppressed"),
                       as_json: bool = typer.Option(False, "--json"), limit: int = typer.Option(200, "--limit")) -> None:
    """The outbox: what was sent, what waits, what failed (masked recipients)."""
    if not db_ready(as_json):
        emit([]) if as_json else None
        return
    with session_scope(readonly=True) as session:
        rows = notifications.notifications(session, status=status, limit=limit)
    if as_json:
        emit(rows)
        return
    for r in rows:
        typer.echo(f"{r['created_at'][:16]}  {STATUS_LABELS.get(r['status'], r['status']):<6} {r['kind']:<18} "
                   f"{r['application_no'] or '':<20} {r['recipient'] or '工作人员'}  {r['last_error'] or ''}")


@notifications_app.command("opt-out")
@guarded
def notifications_opt_out(id_number: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Record a veteran's 退订: no more messages are sent to them."""
    db()
    try:
        out = notifications.opt_out(id_number=id_number, source="cli")
    except (LookupError, ValueError) as exc:
        fail({"error": "not_found", "message": str(exc)}, 2, str(exc), as_json)
    emit(out) if as_json else typer.echo(f"已退订：{out['opted_out']}")
