"""Applications: apply, resume, status, list, decide."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from onematter.case.forms import FormError
from onematter.case.lifecycle import APPLICATION_STATUS_LABELS, NotFound, OpenApplicationExists
from onematter.casework.processing import DecisionRefused
from onematter.cli._common import app, db_and_prefect, db_ready, emit, fail, fields_text, guarded, load, \
    log_failure, print_human
from onematter.config.db import session_scope
from onematter.services import applications, decisions
from onematter.services.handover import ProcessingFailed


@app.command("apply")
@guarded
def apply(file: Path, as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
          wait: bool = typer.Option(True, "--wait/--no-wait", help="服务栈模式下是否等待办理完成")) -> None:
    """Submit one combined application (一件事联办申请) from a YAML or JSON file."""
    try:
        intake, scans = applications.prepare(load(file), file.parent)
        db_and_prefect(flows=True)
        done = applications.apply(intake=intake, actor=f"staff:{intake.staff.name}", wait=wait is not False,
                                  scans_presented=scans)
    except FormError as exc:
        fail({"error": "invalid_intake", "fields": exc.fields}, 2, fields_text(exc.fields), as_json)
    except OpenApplicationExists as exc:
        label = APPLICATION_STATUS_LABELS.get(exc.status, exc.status)
        fail({"error": "open_application_exists", "application_no": exc.application_no}, 2,
             f"未受理：该申请人已有一件未办结的联办申请 {exc.application_no}（{label}），办结后才能再次申请。"
             f"可用 onematter status {exc.application_no} 查看，待审核的事项由审核人员办理。", as_json)
    except ProcessingFailed as exc:
        _processing_failed(exc, "apply", as_json)
    _show(done["application_no"], as_json)


def _processing_failed(exc: ProcessingFailed, what: str, as_json: bool) -> None:
    """The flow run failed: say so, keep the case as it is (traceback on stderr)."""
    log_failure(f"{what} {exc.application_no}")
    fail({"error": "processing_failed", "application_no": exc.application_no, "message": exc.message},
         1, f"联办申请 {exc.application_no} 已受理，但办理过程出错：{exc.message}。"
            f"修复后可运行 onematter resume {exc.application_no} 继续办理。", as_json)


def _show(application_no: str, as_json: bool) -> dict:
    with session_scope(readonly=True) as session:
        view = applications.application(session, application_no=application_no)
    shown = {k: v for k, v in view.items() if k not in ("missing_documents", "message")}
    emit(shown) if as_json else print_human(shown)
    return view


@app.command("resume")
@guarded
def resume(application_no: str, as_json: bool = typer.Option(False, "--json"),
           wait: bool = typer.Option(True, "--wait/--no-wait", help="服务栈模式下是否等待办理完成")) -> None:
    """Finish an application whose processing stopped (a killed process, a failed run, a lost file)."""
    db_and_prefect(flows=True)
    try:
        done = applications.resume(application_no=application_no, wait=wait)
    except NotFound as exc:
        fail({"error": "not_found", "application_no": application_no}, 1, str(exc), as_json)
    except ProcessingFailed as exc:
        _processing_failed(exc, "resume", as_json)
    _show(done["application_no"], as_json)


@app.command("status")
@guarded
def status(application_no: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one application."""
    if not db_ready(as_json):
        fail({"error": "not_found", "application_no": application_no}, 1, f"找不到联办申请 {application_no}", as_json)
    with session_scope(readonly=True) as session:
        try:
            view = applications.application(session, application_no=application_no)
        except NotFound as exc:
            fail({"error": "not_found", "application_no": application_no}, 1, str(exc), as_json)
    emit(view) if as_json else print_human(view)
    if view.get("missing_documents"):     # the work stopped part-way: say so and how to finish it
        if not as_json:
            typer.echo(view["message"], err=True)
        raise typer.Exit(1)


@app.command("list")
@guarded
def list_cmd(as_json: bool = typer.Option(False, "--json"),
             status_filter: Optional[str] = typer.Option(None, "--status", help="只列出该状态")) -> None:
    """List applications, newest first."""
    if not db_ready(as_json):
        emit([]) if as_json else None
        return
    with session_scope(readonly=True) as session:
        views = applications.applications(session, status=status_filter)
    if as_json:
        emit(views)
    else:
        for v in views:
            matters = "，".join(f"{m['matter']}={m['status']}" for m in v["matters"])
            typer.echo(f"{v['application_no']}  {v['status']:<18} 办结期限 {v['deadline']}  {matters}")


@app.command("decide")
@guarded
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
    if approve is None:
        fail({"error": "invalid_decision", "message": "请指定 --approve 或 --reject"}, 2, "请指定 --approve 或 --reject", as_json)
    db_and_prefect(flows=True)
    try:
        done = decisions.decide(application_no=application_no, matter=matter, approve=approve, by=by,
                                comment=comment, source="cli")
    except (DecisionRefused, NotFound) as exc:
        fail({"error": "decision_refused", "application_no": application_no, "message": str(exc)}, 2, str(exc), as_json)
    except ProcessingFailed as exc:
        log_failure(f"decide {exc.application_no}")
        fail({"error": "processing_failed", "application_no": exc.application_no, "message": exc.message},
             1, f"审核结果已记录，但出件出错：{exc.message}", as_json)
    _show(done["application_no"], as_json)
