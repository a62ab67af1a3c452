"""`onematter handover`: 统一出件 — record how an application's result documents reached the
applicant (or, `--to enterprise`, the enterprise): 窗口领取, EMS 邮寄 or 电子送达."""

from __future__ import annotations

from typing import Optional

import typer

from onematter.case.forms import FormError
from onematter.case.lifecycle import NotFound
from onematter.cli._common import app, db, emit, fail, guarded
from onematter.services import deliveries


@app.command("handover")
@guarded
def handover(application_no: str,
             method: str = typer.Option(..., "--method", help="window（窗口领取）| ems（EMS 邮寄）| electronic（电子送达）"),
             to: str = typer.Option("person", "--to", help="送达对象：person（申请人，默认）| enterprise（用人单位）"),
             by: str = typer.Option(..., "--by", help="经办人姓名"),
             collector: Optional[str] = typer.Option(None, "--collector", help="窗口领取：self（本人）| agent（代领）"),
             agent_name: Optional[str] = typer.Option(None, "--agent-name", help="代领人姓名"),
             agent_id_last4: Optional[str] = typer.Option(None, "--agent-id-last4", help="代领人身份证后4位"),
             address: Optional[str] = typer.Option(None, "--address", help="EMS 邮寄地址（申请人默认用登记的地址）"),
             tracking_no: Optional[str] = typer.Option(None, "--tracking-no", help="EMS 邮件单号"),
             posted_on: Optional[str] = typer.Option(None, "--posted-on", help="寄出日期（默认今天）"),
             as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Record the hand-over of an application's result documents (送达)."""
    db()
    try:
        done = deliveries.handover(application_no=application_no, addressee=to, method=method, by=by,
                                   actor=f"cli:{by}", collector=collector, agent_name=agent_name,
                                   agent_id_last4=agent_id_last4, address=address, tracking_no=tracking_no,
                                   posted_on=posted_on)
    except FormError as exc:
        fail({"error": "invalid_handover", "fields": exc.fields}, 2,
             "送达登记有误，未登记：\n" + "\n".join(f"  {k}：{v}" for k, v in exc.fields.items()), as_json)
    except deliveries.DeliveryRefused as exc:
        fail({"error": "handover_refused", "message": str(exc)}, 1, str(exc), as_json)
    except NotFound as exc:
        fail({"error": "not_found", "application_no": application_no}, 1, str(exc), as_json)
    if as_json:
        emit(done)
        return
    typer.echo(f"{application_no}：{done['record']['text']}")
    for a in done["deliveries"]["addressees"]:
        typer.echo(f"  {a['label']} {a['name']}：{a['record'] or '待送达'}")
    typer.echo("  已出件：全部文书已送达" if done["deliveries"]["served_all"] else "  尚有文书待送达")
