"""`onematter user`: staff accounts for the staff page."""

from __future__ import annotations

import sys

import typer

from onematter.case.accounts import ROLES, AccountError
from onematter.cli._common import db, db_ready, emit, fail, guarded
from onematter.config.db import session_scope
from onematter.services import accounts

user_app = typer.Typer(help="工作人员账号（工作台登录）", no_args_is_help=True)


@user_app.command("add")
@guarded
def user_add(username: str,
             name: str = typer.Option(..., "--name", help="姓名（打印在受理回执上）"),
             role: str = typer.Option(..., "--role", help="window（窗口人员）或 supervisor（审核人员）"),
             station: str = typer.Option(..., "--station", help="所属网点"),
             password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码"),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Create a staff account for the staff page."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else typer.prompt("密码", hide_input=True,
                                                                                          confirmation_prompt=True)
    db()
    try:
        out = accounts.add(username=username, name=name, role=role, station=station, password=password)
    except AccountError as exc:
        fail({"error": "invalid_user", "fields": {exc.field: str(exc)}}, 2, f"{exc.field}：{exc}", as_json)
    emit(out) if as_json else typer.echo(f"已创建账号 {out['username']}（{out['name']}，{out['station']}）")


@user_app.command("list")
@guarded
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List staff accounts."""
    if not db_ready(as_json):
        emit([]) if as_json else None
        return
    with session_scope(readonly=True) as session:
        users = accounts.users(session)
    if as_json:
        emit(users)
        return
    for u in users:
        typer.echo(f"{u['username']:<16} {u['name']:<8} {ROLES[u['role']]:<6} {u['station']}"
                   f"{'' if u['active'] else '（已停用）'}")


@user_app.command("disable")
@guarded
def user_disable(username: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Disable a staff account (it can no longer sign in; its past actions keep its name)."""
    db()
    try:
        out = accounts.disable(username=username)
    except AccountError as exc:
        fail({"error": "invalid_user", "fields": {exc.field: str(exc)}}, 2, str(exc), as_json)
    emit(out) if as_json else typer.echo(f"已停用账号 {out['username']}")
