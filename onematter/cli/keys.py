"""`onematter keys`: the data key that seals ID and mobile numbers at rest (domain.md §1.5)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from onematter.cli._common import db, emit, fail, guarded
from onematter.services import keys

keys_app = typer.Typer(help="数据密钥（身份证号、手机号加密保存）", no_args_is_help=True)


@keys_app.command("init")
@guarded
def keys_init(path: Optional[Path] = typer.Option(None, "--path", help="默认：ONEMATTER_DATA_KEY_FILE，或数据目录下的 data.key"),
              as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Make a new data key file (0600); never over an existing one."""
    try:
        made = keys.init(path)
    except keys.DataKeyError as exc:
        fail({"error": "data_key", "message": str(exc)}, 1, str(exc), as_json)
    if as_json:
        emit(made)
        return
    typer.echo(f"已生成数据密钥文件 {made['path']}（密钥 {made['key_id']}，仅本用户可读）。请另行妥善备份；"
               "共用同一数据库的每台机器都需要这一文件（ONEMATTER_DATA_KEY_FILE）")


@keys_app.command("show")
@guarded
def keys_show(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """The key file's keys (ids and dates, never the keys), and what the database records of them."""
    db()
    shown = keys.show()
    if as_json:
        emit(shown)
        return
    typer.echo(f"密钥文件：{shown['path']}")
    for k in shown["keys"]:
        typer.echo(f"  {k['id']}  生成于 {k['created']}  {k['state']}")
    if shown["retired"]:
        typer.echo(f"已停用：{'、'.join(shown['retired'])}")
    left = {t: n for t, n in shown["rows_under_other_keys"].items() if n}
    typer.echo("所有数据均已用当前密钥加密" if not left else f"尚未用当前密钥加密：{left}")


@keys_app.command("rotate")
@guarded
def keys_rotate(batch: int = typer.Option(1000, "--batch", min=1, max=100_000, help="每批重新加密的行数"),
                as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Re-encrypt every sealed value under a new key, in batches (resumable: run it again after an
    interruption); the old key is refused afterwards."""
    db()

    def progress(p: keys.Progress) -> None:
        typer.echo(f"  {p.table}：{p.done}/{p.total}（{p.rate:.0f} 行/秒）", err=True)

    done = keys.rotate(batch=batch, echo=progress)
    if as_json:
        emit(done)
        return
    typer.echo(f"已轮换为密钥 {done['key_id']}：{done['rows']} 行重新加密，用时 {done['seconds']} 秒；"
               f"旧密钥 {'、'.join(done['retired'])} 已停用，此后不再接受")
