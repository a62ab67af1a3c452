"""Documents: verify a PDF, render the samples, cut the fonts."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from onematter.casework.samples import render_samples
from onematter.cli._common import app, db_ready, emit, fail, guarded
from onematter.config.db import session_scope
from onematter.documents.fonts import fonts_dir, prepare_fonts
from onematter.services import documents


@app.command("verify")
@guarded
def verify(file: Path, as_json: bool = typer.Option(False, "--json")) -> None:
    """Say which application and document a PDF is, or that it is unknown or altered."""
    if not file.is_file():
        message = f"无法读取文件 {file}：{'这是一个目录' if file.is_dir() else '文件不存在'}"
        fail({"error": "invalid_file", "fields": {"file": message}}, 2, message, as_json)
    if not db_ready(as_json):
        result = documents.verify(None, path=file)
    else:
        with session_scope(readonly=True) as session:
            result = documents.verify(session, path=file)
    if as_json:
        emit(result)
    else:
        typer.echo(result["message"])
    raise typer.Exit(0 if result["result"] == "genuine" else 1)


@app.command("fonts")
def fonts() -> None:
    """Cut the document faces down to the characters a bureau prints (once per machine; make venv
    runs it). Documents without them are the same, only larger."""
    started = time.perf_counter()
    paths = prepare_fonts()
    typer.echo(f"字体目录 {fonts_dir()}（{time.perf_counter() - started:.1f} 秒）")
    for path in paths:
        typer.echo(f"  {path.name}  {path.stat().st_size // 1024} KB")


@app.command("samples")
def samples(directory: Path) -> None:
    """Render every document kind for sample cases into DIRECTORY, for review."""
    for path in render_samples(directory):
        typer.echo(str(path))
