"""The bureau's electronic seal (电子印章): its use cases for the command line and the served
stack — the demo seal made on the embedded default, a bureau's own installed, what is installed,
and the served stack's refusal to start without one. The signing itself is documents/seal.py."""

from __future__ import annotations

from pathlib import Path

from onematter.config.settings import get_settings
from onematter.documents import seal
from onematter.documents.seal import SealError, SealMissing

__all__ = ["SealError", "SealMissing", "init", "install", "show", "embedded_default", "require"]


def init() -> dict:
    """A demo CA and seal (示例) in the seal directory; never over an installed seal."""
    return seal.make_demo()


def install(p12: Path, image: Path, trust: Path | None = None) -> dict:
    for path, what in ((p12, "印章证书文件"), (image, "印章图片"), (trust, "信任根证书文件")):
        if path is not None and not path.is_file():
            raise SealError(f"未找到{what} {path}")
    return seal.install(p12, image, trust)


def show() -> dict:
    return seal.describe(seal.current())


def embedded_default() -> dict | None:
    """On the embedded default (SQLite in the data dir, the seal in its default place), the demo
    seal is made with the database, as the data key is: `make demo` seals its documents. Never on
    a configured database or seal directory: there, the bureau installs its own."""
    settings = get_settings()
    if settings.database_url or settings.seal_dir:
        return None
    return seal.ensure_demo()


def require() -> dict:
    """The served stack issues documents only under a seal: missing or unreadable, or a bureau's
    own seal with the public address unset or loopback, it refuses to start, saying why."""
    current = seal.current()
    seal.refuse_local_address(current)
    return seal.describe(current)
