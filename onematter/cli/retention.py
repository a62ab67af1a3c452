"""`onematter retention run`: 保存期限 — anonymise the persons whose last application closed
`retention.years` ago (policy), or with --dry-run print who would be."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer

from onematter.cli._common import db, emit, fail, guarded
from onematter.services import retention

retention_app = typer.Typer(help="个人信息保存期限（到期匿名化）", no_args_is_help=True)


@retention_app.command("run")
@guarded
def retention_run(day: Optional[str] = typer.Option(None, "--day", help="YYYY-MM-DD：按该日计算（默认今天）"),
                  dry_run: bool = typer.Option(False, "--dry-run", help="只列出到期的人，不做任何改动"),
                  as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Anonymise everyone due on the day (their name to surname + 某, ID and mobile erased, scans
    deleted, documents archived or deleted as the policy says); statistics keep their counts."""
    try:
        on = dt.date.fromisoformat(day) if day else None
    except ValueError:
        fail({"error": "invalid_day", "fields": {"day": "应为日期，格式 YYYY-MM-DD"}}, 2, "--day 应为日期，格式 YYYY-MM-DD", as_json)
    db()
    done = retention.run(day=on, dry_run=dry_run)
    if as_json:
        emit(done)
        return
    head = "将匿名化" if dry_run else "已匿名化"
    typer.echo(f"{done['day']}：最后一件申请办结于 {done['cutoff']} 及以前（保存期限 {done['years']} 年）的申请人"
               f"{head} {done['persons']} 人，涉及申请 {done['applications']} 件、文书 {done['document_files']} 份"
               f"（{'归档' if done['documents'] == 'archive' else '删除'}）、材料扫描件 {done['scans']} 份")
    for item in done["items"]:
        typer.echo(f"  {item['person']}  {item['id_masked']}  最后办结 {item['last_closed']}  "
                   f"{'、'.join(item['applications'])}" + ("（保留身份证号校验值）" if item["keeps_id_hash"] else ""))
    if dry_run:
        typer.echo("（演练：未做任何改动）")
