"""The stack: init-db, serve, worker, demo."""

from __future__ import annotations

from typing import Optional

import typer

from onematter.cli._common import app, db, db_and_prefect, guarded
from onematter.cli.applications import apply
from onematter.cli.catalog import catalog_import, catalog_sample
from onematter.config.db import session_scope
from onematter.config.privacy import tighten
from onematter.config.resources import example
from onematter.services import applications, keys, seals
from onematter.config.settings import get_settings
from onematter.documents.fonts import prepare_fonts


@app.command("init-db")
@guarded
def init_db_cmd() -> None:
    """Create or migrate the database (and, on the embedded default, Prefect's); cut the document
    faces if this machine has not yet (onematter fonts)."""
    db_and_prefect()
    prepare_fonts()
    tightened = tighten(get_settings().data_dir)
    typer.echo(f"数据库已就绪：{get_settings().resolved_database_url.split('@')[-1]}")
    if tightened:
        typer.echo(f"数据目录中 {tightened} 个文件或目录的权限已收紧为仅本用户可读写")


@app.command("serve")
def serve(port: int = typer.Option(4200, help="Prefect server/UI port (loopback)"),
          web_port: int = typer.Option(4300, "--web-port", "--docs-port",
                                       help="staff page port (also /documents and /verify; --docs-port: old name)"),
          workers: Optional[int] = typer.Option(None, "--workers", min=0,
                                                help="warm workers to start here (default: one per core, at most 2)")) -> None:
    """Start the served stack: Prefect server + every deployment + the staff page + warm workers, until Ctrl-C."""
    from onematter.runtime.serve import serve as run_serve  # noqa: I001 — httpx and the stack's processes only for serve
    try:
        keys.require_key_file()
        sealed = seals.require()
    except (keys.DataKeyError, seals.SealError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if sealed["demo"]:
        typer.echo(f"注意：使用的是示例电子印章（{sealed['directory']}），仅供演示；正式出具文书前请以 "
                   "onematter seal import 安装本局印章", err=True)
    db()
    try:
        run_serve(port=port, web_port=web_port, workers=workers, echo=typer.echo)
    except KeyboardInterrupt:
        typer.echo("已停止")


@app.command("worker")
def worker() -> None:
    """A warm worker: takes applications from the queue and runs each one's flow in this process
    (PREFECT_API_URL names the server; several, on several machines, share one PostgreSQL)."""
    from onematter.runtime.worker import run_worker  # noqa: I001 — Prefect and the flows only for the worker
    db()
    try:
        run_worker(echo=lambda text: typer.echo(text, err=True))
    except KeyboardInterrupt:
        typer.echo("工作进程已停止", err=True)


@app.command("demo")
def demo() -> None:
    """Import the sample catalogue and run the sample application end to end."""
    settings = get_settings()
    db_and_prefect(flows=True)
    prepare_fonts()
    sample = settings.data_dir / "sample-catalogue.yaml"
    catalog_sample(sample)
    catalog_import(sample, as_json=False)
    apply(example("application.yaml"), as_json=False)
    _demo_correction(settings.data_dir)
    sealed = seals.show()
    typer.echo(f"\n本局出具的文书均已加盖电子印章（{sealed['subject'].split(',')[0].removeprefix('Common Name: ')}"
               f"{'，仅供演示' if sealed['demo'] else ''}）；核验文书：onematter verify <PDF 文件>；印章信息：onematter seal show")


def _demo_correction(data_dir) -> None:
    """一次性告知 and 补正: another invented person's loan application without its 借款合同 waits
    in 待补正 with one 补正材料一次性告知书; the contract added later moves the loan on."""
    import yaml

    from onematter.cli.applications import _show
    from onematter.matters import spec
    from onematter.services import materials
    form = yaml.safe_load(example("startup-loan.yaml").read_text(encoding="utf-8"))
    form["idempotency_key"] = "demo-correction-0001"
    form["applicant"] |= {"name": "周明远", "id_number": "330482199306153418", "mobile": "13857305678"}
    form["materials"] = {k: [str(example("startup-loan.yaml").parent / p) for p in v]
                         for k, v in form["materials"].items() if k != "loan_contract"}
    path = data_dir / "demo-correction.yaml"
    path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
    typer.echo("\n—— 补正示例：借款合同未带来，先受理，出具补正材料一次性告知书 ——")
    apply(path, as_json=False)
    with session_scope(readonly=True) as session:
        no = applications.application(session, application_no=applications.by_key(session, "demo-correction-0001"))
    contract = example("materials") / "loan-contract.png"
    done = materials.add(application_no=no["application_no"], item="loan_contract",
                         files=[(contract.name, contract.read_bytes())], by="staff:王珏")
    moved = "、".join(spec(k).title for k in done["proceeded"]) or "无事项"
    typer.echo(f"\n—— 补正：{no['application_no']} 补交借款合同（新增 {done['added']} 个文件），{moved}当即受理、继续办理 ——")
    _show(no["application_no"], False)
