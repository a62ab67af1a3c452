"""What every command module shares: the `onematter` Typer app the top-level commands register on,
output (JSON is a documented contract, README), failures (exit codes), reading a bounded file, and
the database as commands need it (writing ones migrate, reading ones never do)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.exc import InterfaceError, OperationalError

from onematter import matters
from onematter.case.forms import load_file
from onematter.casework.dossier import APPLICATION_STATUS_LABELS
from onematter.config.crypto import DataKeyError
from onematter.config.db import SchemaNotReady, check_schema
from onematter.config.embedded import prepare_prefect, start_server_early
from onematter.config.privacy import keep_private, safe_traceback
from onematter.policy import PolicyError, load_policy
from onematter.services import keys, seals

app = typer.Typer(help="退役军人就业创业帮扶“一件事”联办", no_args_is_help=True, add_completion=False)


@app.callback()
def _every_command() -> None:
    """Before any command: whatever this process (and what it starts) writes is private."""
    keep_private()

DB_UNAVAILABLE = ("数据库暂时无法使用（无法连接，或等待其他操作释放锁超时），本次操作未完成，已保存的内容不受影响。"
                  "请稍后重试；如持续出现，请联系系统管理员。")
INTAKE_MAX_BYTES = 64 * 1024            # one person's form is ~1.5 KB
CATALOGUE_MAX_BYTES = 16 * 1024 * 1024   # thousands of postings


def guarded(command):
    """A database that is down or locked past the timeout: one Chinese line and a documented JSON
    error (exit 3) on every command, never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (OperationalError, InterfaceError):
            fail({"error": "database_unavailable", "message": DB_UNAVAILABLE}, 3, DB_UNAVAILABLE,
                 bool(kwargs.get("as_json")))
        except DataKeyError as exc:
            fail({"error": "data_key", "message": str(exc)}, 1, str(exc), bool(kwargs.get("as_json")))
    return wrapper


def emit(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def fail(obj: dict, code: int, human: str, as_json: bool) -> None:
    if as_json:
        emit(obj)
    else:
        typer.echo(human, err=True)
    raise typer.Exit(code)


def load(path: Path, max_bytes: int = INTAKE_MAX_BYTES, what: str = "申请表文件") -> Any:
    """Read a YAML/JSON file, bounded (size, nesting, no aliases, no duplicate keys); anything
    wrong with it is refused like any bad input (exit 2)."""
    return load_file(path, max_bytes=max_bytes, what=what)


def db() -> None:
    """Our schema migrated, and the policy in force checked by every matter (a clear error naming
    the file and the block, before anything is stored under a broken policy)."""
    try:
        matters.check_policy(load_policy())
    except PolicyError as exc:
        typer.echo(f"政策数据有误，未执行：{exc}", err=True)
        raise typer.Exit(1) from None
    try:
        made = keys.prepare()
    except DataKeyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if made:
        typer.echo(f"已生成数据密钥文件 {made}（仅本用户可读）：身份证号和手机号用它加密保存，请另行妥善备份；"
                   "丢失后这些数据无法读出", err=True)
    sealed = seals.embedded_default()
    if sealed:
        typer.echo(f"已生成示例电子印章 {sealed['directory']}（仅供演示）：正式使用前请以 onematter seal import "
                   "安装本局印章", err=True)


def db_ready(as_json: bool) -> bool:
    """Reading commands never migrate. False: nothing stored yet (no schema); an outdated schema
    is a clear message (exit 1)."""
    try:
        if not check_schema():
            return False
        keys.check_readable()
        return True
    except (SchemaNotReady, DataKeyError) as exc:
        fail({"error": "database_not_ready" if isinstance(exc, SchemaNotReady) else "data_key",
              "message": str(exc)}, 1, str(exc), as_json)


def db_and_prefect(*, flows: bool = False) -> None:
    """Our schema and, on the embedded default, Prefect's own database: migrated before the first
    run, so a new data dir never meets Prefect's start-up timeout. `flows`: this command will run a
    flow: Prefect's server starts now, while the command does its own work (embedded default)."""
    db()
    prepare_prefect()
    if flows:
        start_server_early()


def fields_text(fields: dict[str, str]) -> str:
    return "申请表有误，未受理：\n" + "\n".join(f"  {k}：{v}" for k, v in fields.items())


def log_failure(what: str) -> None:
    """A run that failed for a reason we did not foresee: its traceback goes to stderr (the JSON on
    stdout stays one object), so a bug is never just a `processing_failed` line."""
    typer.echo(f"onematter {what} 失败，详细信息（已隐去身份证号和手机号）：\n{safe_traceback()}", err=True)


def print_human(view: dict) -> None:
    status = APPLICATION_STATUS_LABELS.get(view["status"], view["status"])
    typer.echo(f"申请编号：{view['application_no']}  状态：{status}  承诺办结日期：{view['deadline']}")
    for m in view["matters"]:
        spec = matters.spec(m["matter"])
        line = f"  - {spec.title}：{spec.label(m['status'])}"
        if m["reason"]:
            line += f"（{m['reason']}）"
        typer.echo(line)
    typer.echo("文书：")
    for d in view["documents"]:
        typer.echo(f"  {d['title']:<20} {d['path']}")
