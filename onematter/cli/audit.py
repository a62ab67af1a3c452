"""`onematter audit`: 查询留痕 — who has seen a person's data (个人信息保护法 Art. 45)."""

from __future__ import annotations

import typer

from onematter.cli._common import db_ready, emit, fail, guarded
from onematter.services import audit

audit_app = typer.Typer(help="查询留痕", no_args_is_help=True)


@audit_app.command("person")
@guarded
def audit_person(id_number: str, as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Every display of this person's data or documents, the oldest first."""
    if not db_ready(as_json):
        emit({"found": False, "rows": []}) if as_json else None
        return
    done = audit.person(id_number=id_number)
    if not done["found"]:
        fail({"error": "not_found", "message": "没有该身份证号码的申请人"}, 1, "没有该身份证号码的申请人", as_json)
    if as_json:
        emit(done)
        return
    typer.echo(f"{done['person']['name']}（{done['person']['id_masked']}）的信息被查看 {len(done['rows'])} 次：")
    for r in done["rows"]:
        typer.echo(f"  {r['at']}  {r['account']}（{r['station']}）  {r['what_label']}  {r['application_no']} {r['item']}")
