"""`onematter materials`: the one set of materials the window takes (policy data)."""

from __future__ import annotations

from pathlib import Path

import typer

from onematter.case.forms import FormError
from onematter.case.lifecycle import NotFound
from onematter.cli._common import db, emit, fail, fields_text, guarded
from onematter.matters import spec
from onematter.services import applications, materials

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


@materials_app.command("add")
@guarded
def materials_add(application_no: str, item: str, files: list[Path],
                  by: str = typer.Option(..., "--by", help="收件人姓名"),
                  as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Add scans of one material (ITEM: its key, see `materials list`) to an application (补正)."""
    db()
    try:
        presented = applications.read_materials({item: [str(f) for f in files]}, Path.cwd())
        done = materials.add(application_no=application_no, item=item, files=presented[item], by=f"staff:{by}")
    except FormError as exc:
        fail({"error": "invalid_materials", "fields": exc.fields}, 2, fields_text(exc.fields), as_json)
    except NotFound as exc:
        fail({"error": "not_found", "application_no": application_no}, 1, str(exc), as_json)
    if as_json:
        emit(done)
        return
    typer.echo(f"{done['application_no']}：{item} 新增 {done['added']} 个文件")
    if done["proceeded"]:
        typer.echo(f"  材料已齐全，当即受理、继续办理：{'、'.join(spec(k).title for k in done['proceeded'])}")
    for m in done["materials"]:
        typer.echo(f"  {m['name']}：{len(m['files'])} 个文件" if m["files"] else f"  {m['name']}：未提交")
