"""The `onematter` command line (Typer). JSON output is a documented contract (README)."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer
import yaml

from onematter.config.settings import get_settings

app = typer.Typer(help="退役军人就业创业帮扶“一件事”联办", no_args_is_help=True, add_completion=False)
catalog_app = typer.Typer(help="目录（培训课程、学历专业、岗位、招聘会）", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
user_app = typer.Typer(help="工作人员账号（工作台登录）", no_args_is_help=True)
app.add_typer(user_app, name="user")
followups_app = typer.Typer(help="定时跟进（按日演练）", no_args_is_help=True)
app.add_typer(followups_app, name="followups")
notifications_app = typer.Typer(help="消息（发件箱）", no_args_is_help=True)
app.add_typer(notifications_app, name="notifications")
tasks_app = typer.Typer(help="工作人员待办", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
report_app = typer.Typer(help="统计报告", no_args_is_help=True)
app.add_typer(report_app, name="report")
fairs_app = typer.Typer(help="招聘会登记", no_args_is_help=True)
app.add_typer(fairs_app, name="fairs")


DB_UNAVAILABLE = ("数据库暂时无法使用（无法连接，或等待其他操作释放锁超时），本次操作未完成，已保存的内容不受影响。"
                  "请稍后重试；如持续出现，请联系系统管理员。")


def _guarded(command):
    """A database that is down or locked past the timeout: one Chinese line and a documented JSON
    error (exit 3) on every command, never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import InterfaceError, OperationalError
        try:
            return command(*args, **kwargs)
        except (OperationalError, InterfaceError):
            _fail({"error": "database_unavailable", "message": DB_UNAVAILABLE}, 3, DB_UNAVAILABLE,
                  bool(kwargs.get("as_json")))
    return wrapper


def _emit(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _fail(obj: dict, code: int, human: str, as_json: bool) -> None:
    if as_json:
        _emit(obj)
    else:
        typer.echo(human, err=True)
    raise typer.Exit(code)


INTAKE_MAX_BYTES = 64 * 1024            # one person's form is ~1.5 KB
CATALOGUE_MAX_BYTES = 16 * 1024 * 1024   # thousands of postings


def _load(path: Path, max_bytes: int = INTAKE_MAX_BYTES, what: str = "申请表文件") -> Any:
    """Read a YAML/JSON file, bounded (size, nesting, no aliases, no duplicate keys); anything
    wrong with it is refused like any bad input (exit 2)."""
    from onematter.case.forms import load_file
    return load_file(path, max_bytes=max_bytes, what=what)


def _db():
    """Our schema migrated, and the policy in force checked by every matter (a clear error naming
    the file and the block, before anything is stored under a broken policy)."""
    from onematter import matters
    from onematter.config.db import init_db
    from onematter.policy import PolicyError, load_policy
    try:
        matters.check_policy(load_policy())
    except PolicyError as exc:
        typer.echo(f"政策数据有误，未执行：{exc}", err=True)
        raise typer.Exit(1) from None
    init_db()


def _db_ready(as_json: bool) -> bool:
    """Reading commands never migrate. False: nothing stored yet (no schema); an outdated schema
    is a clear message (exit 1)."""
    from onematter.config.db import SchemaNotReady, check_schema
    try:
        return check_schema()
    except SchemaNotReady as exc:
        _fail({"error": "database_not_ready", "message": str(exc)}, 1, str(exc), as_json)


def _db_and_prefect():
    """Our schema and, on the embedded default, Prefect's own database: migrated before the first
    run, so a new data dir never meets Prefect's start-up timeout."""
    from onematter.config.embedded import prepare_prefect
    _db()
    prepare_prefect()


def _fields_text(fields: dict[str, str]) -> str:
    return "申请表有误，未受理：\n" + "\n".join(f"  {k}：{v}" for k, v in fields.items())


def _print_human(view: dict) -> None:
    from onematter import matters
    from onematter.casework.dossier import APPLICATION_STATUS_LABELS
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


# ------------------------------------------------------------------ commands


@app.command("init-db")
@_guarded
def init_db_cmd() -> None:
    """Create or migrate the database (and, on the embedded default, Prefect's); cut the document
    faces if this machine has not yet (onematter fonts)."""
    from onematter.documents.fonts import prepare_fonts
    _db_and_prefect()
    prepare_fonts()
    typer.echo(f"数据库已就绪：{get_settings().resolved_database_url.split('@')[-1]}")


@catalog_app.command("import")
@_guarded
def catalog_import(file: Path, as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or update courses, programmes, postings and fairs by code."""
    from onematter.casework.catalogue import import_catalogue, parse_catalogue
    from onematter.config.db import session_scope
    from onematter.case.forms import FormError
    try:
        catalogue = parse_catalogue(_load(file, CATALOGUE_MAX_BYTES, "目录文件"))
    except FormError as exc:
        _fail({"error": "invalid_catalogue", "fields": exc.fields}, 2, _fields_text(exc.fields), as_json)
    _db()
    with session_scope() as session:
        counts = import_catalogue(session, catalogue)
    if as_json:
        _emit(counts)
    else:
        for name, c in counts.items():
            typer.echo(f"{name}: 新增 {c['created']}，更新 {c['updated']}")


@catalog_app.command("sample")
def catalog_sample(file: Path) -> None:
    """Write the sample catalogue (示例数据), dated relative to today, to FILE."""
    from onematter.casework.catalogue import sample_catalogue
    from onematter.config.settings import today
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(yaml.safe_dump(sample_catalogue(today()), allow_unicode=True, sort_keys=False), encoding="utf-8")
    typer.echo(str(file))




@app.command()
@_guarded
def apply(file: Path, as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
          wait: bool = typer.Option(True, "--wait/--no-wait", help="服务栈模式下是否等待办理完成")) -> None:
    """Submit one combined application (一件事联办申请) from a YAML or JSON file."""
    from onematter.case.forms import FormError
    from onematter.case.lifecycle import APPLICATION_STATUS_LABELS, OpenApplicationExists
    from onematter.casework.intake import parse_intake
    from onematter.services import applications
    from onematter.services.handover import ProcessingFailed
    try:
        intake = parse_intake(_load(file))
        _db_and_prefect()
        done = applications.apply(intake=intake, actor=f"staff:{intake.staff.name}", wait=wait is not False)
    except FormError as exc:
        _fail({"error": "invalid_intake", "fields": exc.fields}, 2, _fields_text(exc.fields), as_json)
    except OpenApplicationExists as exc:
        label = APPLICATION_STATUS_LABELS.get(exc.status, exc.status)
        _fail({"error": "open_application_exists", "application_no": exc.application_no}, 2,
              f"未受理：该申请人已有一件未办结的联办申请 {exc.application_no}（{label}），办结后才能再次申请。"
              f"可用 onematter status {exc.application_no} 查看，待审核的事项由审核人员办理。", as_json)
    except ProcessingFailed as exc:
        _processing_failed(exc, "apply", as_json)
    _show(done["application_no"], as_json)


def _processing_failed(exc, what: str, as_json: bool) -> None:
    """The flow run failed: say so, keep the case as it is (traceback on stderr)."""
    _log_failure(f"{what} {exc.application_no}")
    _fail({"error": "processing_failed", "application_no": exc.application_no, "message": exc.message},
          1, f"联办申请 {exc.application_no} 已受理，但办理过程出错：{exc.message}。"
             f"修复后可运行 onematter resume {exc.application_no} 继续办理。", as_json)


def _show(application_no: str, as_json: bool) -> dict:
    from onematter.config.db import session_scope
    from onematter.services import applications
    with session_scope(readonly=True) as session:
        view = applications.application(session, application_no=application_no)
    shown = {k: v for k, v in view.items() if k not in ("missing_documents", "message")}
    _emit(shown) if as_json else _print_human(shown)
    return view


@app.command()
@_guarded
def resume(application_no: str, as_json: bool = typer.Option(False, "--json"),
           wait: bool = typer.Option(True, "--wait/--no-wait", help="服务栈模式下是否等待办理完成")) -> None:
    """Finish an application whose processing stopped (a killed process, a failed run, a lost file)."""
    from onematter.case.lifecycle import NotFound
    from onematter.services import applications
    from onematter.services.handover import ProcessingFailed
    _db_and_prefect()
    try:
        done = applications.resume(application_no=application_no, wait=wait)
    except NotFound as exc:
        _fail({"error": "not_found", "application_no": application_no}, 1, str(exc), as_json)
    except ProcessingFailed as exc:
        _processing_failed(exc, "resume", as_json)
    _show(done["application_no"], as_json)


def _log_failure(what: str) -> None:
    """A run that failed for a reason we did not foresee: its traceback goes to stderr (the JSON on
    stdout stays one object), so a bug is never just a `processing_failed` line."""
    from onematter.config.privacy import safe_traceback
    typer.echo(f"onematter {what} 失败，详细信息（已隐去身份证号和手机号）：\n{safe_traceback()}", err=True)


@app.command()
@_guarded
def status(application_no: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one application."""
    from onematter.case.lifecycle import NotFound
    from onematter.config.db import session_scope
    from onematter.services import applications
    if not _db_ready(as_json):
        _fail({"error": "not_found", "application_no": application_no}, 1, f"找不到联办申请 {application_no}", as_json)
    with session_scope(readonly=True) as session:
        try:
            view = applications.application(session, application_no=application_no)
        except NotFound as exc:
            _fail({"error": "not_found", "application_no": application_no}, 1, str(exc), as_json)
    _emit(view) if as_json else _print_human(view)
    if view.get("missing_documents"):     # the work stopped part-way: say so and how to finish it
        if not as_json:
            typer.echo(view["message"], err=True)
        raise typer.Exit(1)


@app.command("list")
@_guarded
def list_cmd(as_json: bool = typer.Option(False, "--json"),
             status_filter: Optional[str] = typer.Option(None, "--status", help="只列出该状态")) -> None:
    """List applications, newest first."""
    from onematter.config.db import session_scope
    from onematter.services import applications
    if not _db_ready(as_json):
        _emit([]) if as_json else None
        return
    with session_scope(readonly=True) as session:
        views = applications.applications(session, status=status_filter)
    if as_json:
        _emit(views)
    else:
        for v in views:
            matters = "，".join(f"{m['matter']}={m['status']}" for m in v["matters"])
            typer.echo(f"{v['application_no']}  {v['status']:<18} 办结期限 {v['deadline']}  {matters}")


@app.command()
@_guarded
def decide(
    application_no: str,
    approve: bool = typer.Option(None, "--approve/--reject", help="通过 / 不予通过"),
    matter: Optional[str] = typer.Option(None, "--matter", help="审核的事项（事项键名，见 README）；"
                                         "不指定时为该申请第一个待审核的事项"),
    by: str = typer.Option(..., "--by", help="审核人姓名"),
    comment: Optional[str] = typer.Option(None, "--comment", help="审核意见（不予通过时必填）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record a supervisor's decision on a matter that waits for one, and issue its notice."""
    from onematter.case.lifecycle import NotFound
    from onematter.casework.processing import DecisionRefused
    from onematter.services import decisions
    from onematter.services.handover import ProcessingFailed
    if approve is None:
        _fail({"error": "invalid_decision", "message": "请指定 --approve 或 --reject"}, 2, "请指定 --approve 或 --reject", as_json)
    _db_and_prefect()
    try:
        done = decisions.decide(application_no=application_no, matter=matter, approve=approve, by=by,
                                comment=comment, source="cli")
    except (DecisionRefused, NotFound) as exc:
        _fail({"error": "decision_refused", "application_no": application_no, "message": str(exc)}, 2, str(exc), as_json)
    except ProcessingFailed as exc:
        _log_failure(f"decide {exc.application_no}")
        _fail({"error": "processing_failed", "application_no": exc.application_no, "message": exc.message},
              1, f"审核结果已记录，但出件出错：{exc.message}", as_json)
    _show(done["application_no"], as_json)


@app.command()
@_guarded
def verify(file: Path, as_json: bool = typer.Option(False, "--json")) -> None:
    """Say which application and document a PDF is, or that it is unknown or altered."""
    from onematter.config.db import session_scope
    from onematter.documents.verification import UNKNOWN, verify_pdf
    if not file.is_file():
        message = f"无法读取文件 {file}：{'这是一个目录' if file.is_dir() else '文件不存在'}"
        _fail({"error": "invalid_file", "fields": {"file": message}}, 2, message, as_json)
    if not _db_ready(as_json):
        result = UNKNOWN | {"document_no": None}
    else:
        with session_scope(readonly=True) as session:
            result = verify_pdf(session, file)
    if as_json:
        _emit(result)
    else:
        typer.echo(result["message"])
    raise typer.Exit(0 if result["result"] == "genuine" else 1)


@app.command()
def serve(port: int = typer.Option(4200, help="Prefect server/UI port (loopback)"),
          web_port: int = typer.Option(4300, "--web-port", "--docs-port",
                                       help="staff page port (also /documents and /verify; --docs-port: old name)"),
          workers: Optional[int] = typer.Option(None, "--workers", min=0,
                                                help="warm workers to start here (default: one per core, at most 2)")) -> None:
    """Start the served stack: Prefect server + every deployment + the staff page + warm workers, until Ctrl-C."""
    from onematter.runtime.serve import serve as run_serve
    _db()
    try:
        run_serve(port=port, web_port=web_port, workers=workers, echo=typer.echo)
    except KeyboardInterrupt:
        typer.echo("已停止")


@app.command()
def worker() -> None:
    """A warm worker: takes applications from the queue and runs each one's flow in this process
    (PREFECT_API_URL names the server; several, on several machines, share one PostgreSQL)."""
    from onematter.runtime.worker import run_worker
    _db()
    try:
        run_worker(echo=lambda text: typer.echo(text, err=True))
    except KeyboardInterrupt:
        typer.echo("工作进程已停止", err=True)


@user_app.command("add")
@_guarded
def user_add(username: str,
             name: str = typer.Option(..., "--name", help="姓名（打印在受理回执上）"),
             role: str = typer.Option(..., "--role", help="window（窗口人员）或 supervisor（审核人员）"),
             station: str = typer.Option(..., "--station", help="所属网点"),
             password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码"),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Create a staff account for the staff page."""
    from onematter.case.accounts import AccountError, add_user
    from onematter.config.db import session_scope
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else typer.prompt("密码", hide_input=True,
                                                                                          confirmation_prompt=True)
    _db()
    try:
        with session_scope() as session:
            user = add_user(session, username=username, name=name, role=role, station=station, password=password)
            out = {"username": user.username, "name": user.name, "role": user.role, "station": user.station}
    except AccountError as exc:
        _fail({"error": "invalid_user", "fields": {exc.field: str(exc)}}, 2, f"{exc.field}：{exc}", as_json)
    _emit(out) if as_json else typer.echo(f"已创建账号 {out['username']}（{out['name']}，{out['station']}）")


@user_app.command("list")
@_guarded
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List staff accounts."""
    from sqlmodel import select

    from onematter.case.accounts import ROLES
    from onematter.config.db import session_scope
    from onematter.case.models import StaffUser
    if not _db_ready(as_json):
        _emit([]) if as_json else None
        return
    with session_scope(readonly=True) as session:
        users = [{"username": u.username, "name": u.name, "role": u.role, "station": u.station, "active": u.active}
                 for u in session.exec(select(StaffUser).order_by(StaffUser.username)).all()]
    if as_json:
        _emit(users)
        return
    for u in users:
        typer.echo(f"{u['username']:<16} {u['name']:<8} {ROLES[u['role']]:<6} {u['station']}"
                   f"{'' if u['active'] else '（已停用）'}")


@user_app.command("disable")
@_guarded
def user_disable(username: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Disable a staff account (it can no longer sign in; its past actions keep its name)."""
    from onematter.case.accounts import AccountError, disable_user
    from onematter.config.db import session_scope
    _db()
    try:
        with session_scope() as session:
            user = disable_user(session, username)
            out = {"username": user.username, "active": user.active}
    except AccountError as exc:
        _fail({"error": "invalid_user", "fields": {exc.field: str(exc)}}, 2, str(exc), as_json)
    _emit(out) if as_json else typer.echo(f"已停用账号 {out['username']}")


@followups_app.command("run")
@_guarded
def followups_run(day: str = typer.Option(..., "--day", help="YYYY-MM-DD：按该日的时刻运行当日所有跟进"),
                  days: int = typer.Option(1, "--days", help="从 --day 起连续运行的天数"),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Run everything due on a day (or several), in-process, as the schedules would; print counts."""
    import datetime as dt

    from onematter.casework.schedule import run_day
    try:
        first = dt.date.fromisoformat(day)
    except ValueError:
        _fail({"error": "invalid_day", "fields": {"day": "应为日期，格式 YYYY-MM-DD"}}, 2, "--day 应为日期，格式 YYYY-MM-DD", as_json)
    _db()
    totals: dict[str, int] = {}
    per_day = []
    show = not as_json and sys.stdout.isatty()
    with typer.progressbar(range(days), label="跟进演练", show_pos=True) if show else _plain(range(days)) as bar:
        for i in bar:
            current = first + dt.timedelta(days=i)
            counts = run_day(current)
            per_day.append({"day": current.isoformat(), **counts})
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
    if as_json:
        _emit({"days": per_day, "totals": totals} if days > 1 else per_day[0])
        return
    for k, v in sorted(totals.items()):
        typer.echo(f"  {k:<28} {v}")


class _plain:
    def __init__(self, it):
        self.it = it

    def __enter__(self):
        return self.it

    def __exit__(self, *exc):
        return False


@notifications_app.command("list")
@_guarded
def notifications_list(status: Optional[str] = typer.Option(None, "--status", help="pending|sent|failed|suppressed"),
                       as_json: bool = typer.Option(False, "--json"), limit: int = typer.Option(200, "--limit")) -> None:
    """The outbox: what was sent, what waits, what failed (masked recipients)."""
    from sqlmodel import select

    from onematter.config.db import session_scope
    from onematter.case.models import Application, Notification, Person
    from onematter.followups.outbox import STATUS_LABELS
    from onematter.rules.identity import mask_id
    if not _db_ready(as_json):
        _emit([]) if as_json else None
        return
    with session_scope(readonly=True) as s:
        query = select(Notification).order_by(Notification.created_at.desc()).limit(limit)
        if status:
            query = query.where(Notification.status == status)
        rows = []
        for n in s.exec(query).all():
            person = s.get(Person, n.person_id) if n.person_id else None
            app_row = s.get(Application, n.application_id) if n.application_id else None
            rows.append({"id": str(n.id), "kind": n.kind, "audience": n.audience, "status": n.status,
                         "application_no": app_row.application_no if app_row else None,
                         "recipient": mask_id(person.id_number) if person else None, "attempts": n.attempts,
                         "segments": n.segments, "created_at": n.created_at.isoformat(timespec="seconds"),
                         "sent_at": n.sent_at.isoformat(timespec="seconds") if n.sent_at else None,
                         "last_error": n.last_error})
    if as_json:
        _emit(rows)
        return
    for r in rows:
        typer.echo(f"{r['created_at'][:16]}  {STATUS_LABELS.get(r['status'], r['status']):<6} {r['kind']:<18} "
                   f"{r['application_no'] or '':<20} {r['recipient'] or '工作人员'}  {r['last_error'] or ''}")


@notifications_app.command("opt-out")
@_guarded
def notifications_opt_out(id_number: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Record a veteran's 退订: no more messages are sent to them."""
    from onematter.config.db import session_scope
    from onematter.followups.outbox import opt_out
    from onematter.rules.identity import mask_id
    _db()
    try:
        with session_scope() as s:
            person = opt_out(s, id_number, source="cli")
            masked = mask_id(person.id_number)
    except (LookupError, ValueError) as exc:
        _fail({"error": "not_found", "message": str(exc)}, 2, str(exc), as_json)
    _emit({"opted_out": masked}) if as_json else typer.echo(f"已退订：{masked}")


@tasks_app.command("list")
@_guarded
def tasks_list(status: str = typer.Option("open", "--status", help="open|done|all"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Staff tasks the follow-ups created (fair outcomes, training completion …)."""
    from sqlmodel import select

    from onematter.config.db import session_scope
    from onematter.case.models import StaffTask
    from onematter.config.settings import today
    if not _db_ready(as_json):
        _emit([]) if as_json else None
        return
    with session_scope(readonly=True) as s:
        query = select(StaffTask).order_by(StaffTask.due_on, StaffTask.created_at)
        if status != "all":
            query = query.where(StaffTask.status == status)
        rows = [{"id": str(t.id), "kind": t.kind, "title": t.title, "station": t.station,
                 "due_on": t.due_on.isoformat(), "status": t.status, "overdue": t.status == "open" and t.due_on < today(),
                 "escalated": t.escalated_at is not None, "result": t.result, "done_by": t.done_by}
                for t in s.exec(query).all()]
    if as_json:
        _emit(rows)
        return
    for r in rows:
        typer.echo(f"{r['id'][:8]}  {r['due_on']}  {'超期 ' if r['overdue'] else ''}{r['title']}（{r['station']}）")


@tasks_app.command("done")
@_guarded
def tasks_done(task_id: str, result: str = typer.Option(..., "--result", help="结果，如 hired|interviewing|not_hired|completed|dropped"),
               by: str = typer.Option(..., "--by", help="办理人姓名"), note: str = typer.Option("", "--note"),
               ended: Optional[str] = typer.Option(None, "--ended", help="年度核验：劳动合同最后在岗月份 YYYY-MM"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Record a task's result (once)."""
    from onematter.config.db import session_scope
    from onematter.casework.staff_tasks import TaskRefused, complete_task
    _db()
    try:
        with session_scope() as s:
            task = complete_task(s, task_id, result=result, by=by, note=note, ended=ended)
            out = {"id": str(task.id), "status": task.status, "result": task.result, "done_by": task.done_by}
    except TaskRefused as exc:
        _fail({"error": "task_refused", "message": str(exc)}, 2, str(exc), as_json)
    _emit(out) if as_json else typer.echo(f"已办结待办 {out['id'][:8]}：{result}")


@fairs_app.command("cancel")
@_guarded
def fairs_cancel(registration_code: str, by: str = typer.Option(..., "--by", help="办理人姓名"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Cancel a fair registration: the place goes to the next on the waitlist, who is told and
    issued a ticket."""
    from onematter.config.db import session_scope
    from onematter.matters.job_fair import release_place
    from onematter.case.models import Application
    _db_and_prefect()
    try:
        with session_scope() as s:
            promoted = release_place(s, registration_code, actor=f"cli:{by}")
            apps = [(c.application_id, s.get(Application, c.application_id).application_no) for c in promoted]
    except LookupError as exc:
        _fail({"error": "not_found", "message": str(exc)}, 2, str(exc), as_json)
    from onematter.services.handover import ProcessingFailed, issue_documents
    for app_id, no in apps:
        try:
            issue_documents(application_id=app_id, application_no=no)
        except ProcessingFailed as exc:
            _log_failure(f"fairs cancel {no}")
            _fail({"error": "processing_failed", "application_no": no, "message": exc.message}, 1,
                  f"已递补 {no}，但出具入场凭证出错：{exc.message}。可运行 onematter resume {no}", as_json)
    out = {"cancelled": registration_code.strip().upper(), "promoted": [no for _, no in apps]}
    _emit(out) if as_json else typer.echo(f"已取消 {out['cancelled']}；递补：{'、'.join(out['promoted']) or '无'}")


@report_app.command("monthly")
@_guarded
def report_monthly(month: Optional[str] = typer.Option(None, "--month", help="YYYY-MM（默认上月）"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """The monthly statistics (PDF and CSV) for a month, default the previous one."""
    import datetime as dt

    from onematter.config.db import session_scope
    from onematter.casework.report import previous_month, render_report
    from onematter.config.settings import today
    try:
        first = dt.date.fromisoformat(f"{month}-01") if month else previous_month(today())
    except ValueError:
        _fail({"error": "invalid_month", "fields": {"month": "应为年月，格式 YYYY-MM"}}, 2, "--month 应为 YYYY-MM", as_json)
    _db()
    with session_scope() as s:
        made = render_report(s, first)
    if as_json:
        _emit(made)
        return
    typer.echo(f"月度统计 {made['figures']['month']}：受理 {made['figures']['applications']} 件")
    typer.echo(f"  {made['pdf']}\n  {made['csv']}")


@app.command()
def fonts() -> None:
    """Cut the document faces down to the characters a bureau prints (once per machine; make venv
    runs it). Documents without them are the same, only larger."""
    import time

    from onematter.documents.fonts import fonts_dir, prepare_fonts
    started = time.perf_counter()
    paths = prepare_fonts()
    typer.echo(f"字体目录 {fonts_dir()}（{time.perf_counter() - started:.1f} 秒）")
    for path in paths:
        typer.echo(f"  {path.name}  {path.stat().st_size // 1024} KB")


@app.command()
def samples(directory: Path) -> None:
    """Render every document kind for sample cases into DIRECTORY, for review."""
    from onematter.casework.samples import render_samples
    for path in render_samples(directory):
        typer.echo(str(path))


@app.command()
def demo() -> None:
    """Import the sample catalogue and run the sample application end to end."""
    from onematter.config.resources import example
    from onematter.documents.fonts import prepare_fonts
    settings = get_settings()
    _db_and_prefect()
    prepare_fonts()
    sample = settings.data_dir / "sample-catalogue.yaml"
    catalog_sample(sample)
    catalog_import(sample, as_json=False)
    apply(example("application.yaml"), as_json=False)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
