"""`onematter seal`: the bureau's electronic seal that signs every document it issues (PAdES)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from onematter.cli._common import emit, fail, guarded
from onematter.services import seals

seal_app = typer.Typer(help="电子印章（文书的 PAdES 签名）", no_args_is_help=True)


def _print(shown: dict) -> None:
    typer.echo(f"印章目录：{shown['directory']}")
    typer.echo(f"  持有者：{shown['subject']}")
    typer.echo(f"  签发者：{shown['issuer']}")
    typer.echo(f"  有效期：{shown['not_before']} 至 {shown['not_after']}")
    typer.echo(f"  SHA-256 指纹：{shown['sha256_fingerprint']}")
    if shown["demo"]:
        typer.echo("  这是示例印章，仅供演示，不得用于正式出具文书")


@seal_app.command("init")
@guarded
def seal_init(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Make a demo CA and seal certificate (示例) in the seal directory: for the embedded default only."""
    try:
        made = seals.init()
    except seals.SealError as exc:
        fail({"error": "seal", "message": str(exc)}, 1, str(exc), as_json)
    emit(made) if as_json else _print(made)


@seal_app.command("import")
@guarded
def seal_import(p12: Path = typer.Argument(..., help="本局印章证书（PKCS#12，.p12）"),
                image: Path = typer.Option(..., "--image", help="印章图片（透明底 PNG）"),
                trust: Optional[Path] = typer.Option(None, "--trust", help="信任根证书（PEM）；默认取证书链的根"),
                as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """Install the bureau's own seal. The passphrase comes from ONEMATTER_SEAL_PASSPHRASE or the
    file ONEMATTER_SEAL_PASSPHRASE_FILE, never from the command line."""
    try:
        installed = seals.install(p12, image, trust)
    except seals.SealError as exc:
        fail({"error": "seal", "message": str(exc)}, 1, str(exc), as_json)
    emit(installed) if as_json else _print(installed)


@seal_app.command("show")
@guarded
def seal_show(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """The installed seal: subject, issuer, validity, fingerprint."""
    try:
        shown = seals.show()
    except seals.SealError as exc:
        fail({"error": "seal", "message": str(exc)}, 1, str(exc), as_json)
    emit(shown) if as_json else _print(shown)
