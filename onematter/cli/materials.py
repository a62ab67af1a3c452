"""`onematter materials`: the one set of materials the window takes (policy data)."""

from __future__ import annotations

import typer

from onematter.cli._common import emit, guarded
from onematter.services import materials

materials_app = typer.Typer(help="申请材料（一套材料）", no_args_is_help=True)


@materials_app.command("list")
@guarded
def materials_list(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """The materials of the policy in force: name, what is taken, the matters that need it."""
    rows = materials.items()
    if as_json:
        emit(rows)
        return
    for m in rows:
        waived = "（数据共享，免提交）" if m["shared"] else ""
        typer.echo(f"{m['key']}: {m['name']} — {m['taken']}；需要：{materials.needed_by_text(m['needed_by'])}{waived}")
