"""`onematter fairs cancel`: a fair registration cancelled, its place given to the waitlist."""

from __future__ import annotations

import typer

from onematter.cli._common import db_and_prefect, emit, fail, guarded, log_failure
from onematter.services import fairs
from onematter.services.handover import ProcessingFailed

fairs_app = typer.Typer(help="招聘会登记", no_args_is_help=True)


@fairs_app.command("cancel")
@guarded
def fairs_cancel(registration_code: str, by: str = typer.Option(..., "--by", help="办理人姓名"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Cancel a fair registration: the place goes to the next on the waitlist, who is told and
    issued a ticket."""
    db_and_prefect(flows=True)
    try:
        out = fairs.cancel_registration(registration_code=registration_code, by=by, source="cli")
    except LookupError as exc:
        fail({"error": "not_found", "message": str(exc)}, 2, str(exc), as_json)
    except ProcessingFailed as exc:
        no = exc.application_no
        log_failure(f"fairs cancel {no}")
        fail({"error": "processing_failed", "application_no": no, "message": exc.message}, 1,
             f"已递补 {no}，但出具入场凭证出错：{exc.message}。可运行 onematter resume {no}", as_json)
    emit(out) if as_json else typer.echo(f"已取消 {out['cancelled']}；递补：{'、'.join(out['promoted']) or '无'}")
