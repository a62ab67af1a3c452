"""The stack: init-db, serve, worker, demo."""

from __future__ import annotations

from typing import Optional

import typer

from onematter.cli._common import app, db, db_and_prefect, guarded
from onematter.cli.applications import apply
from onematter.cli.catalog import catalog_import, catalog_sample
from onematter.config.resources import example
from onematter.config.settings import get_settings
from onematter.documents.fonts import prepare_fonts


@app.command("init-db")
@guarded
def init_db_cmd() -> None:
    """Create or migrate the database (and, on the embedded default, Prefect's); cut the document
    faces if this machine has not yet (onematter fonts)."""
    db_and_prefect()
    prepare_fonts()
    typer.echo(f"数据库已就绪：{get_settings().resolved_database_url.split('@')[-1]}")


@app.command("serve")
def serve(port: int = typer.Option(4200, help="Prefect server/UI port (loopback)"),
          web_port: int = typer.Option(4300, "--web-port", "--docs-port",
                                       help="staff page port (also /documents and /verify; --docs-port: old name)"),
          workers: Optional[int] = typer.Option(None, "--workers", min=0,
                                                help="warm workers to start here (default: one per core, at most 2)")) -> None:
    """Start the served stack: Prefect server + every deployment + the staff page + warm workers, until Ctrl-C."""
    from onematter.runtime.serve import serve as run_serve  # noqa: I001 — httpx and the stack's processes only for serve
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
    db_and_prefect()
    prepare_fonts()
    sample = settings.data_dir / "sample-catalogue.yaml"
    catalog_sample(sample)
    catalog_import(sample, as_json=False)
    apply(example("application.yaml"), as_json=False)
