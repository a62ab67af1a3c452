"""Scans taken at the desk (高拍仪 / scanner output): checked by their content, not their name,
and kept content-addressed (SHA-256) under the data dir, readable by this user only.

A PDF must open (pypdf) and have at most MAX_PAGES pages; an image must decode (Pillow, with its
decompression-bomb limit) and is re-encoded — which drops its metadata (EXIF: place, device) and
anything appended to it — as PNG or JPEG. A file at most MAX_FILE bytes, an application at most
MAX_TOTAL. Anything else is refused with a Chinese message (ScanRefused)."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

MAX_FILE = 10 * 2**20
MAX_TOTAL = 40 * 2**20
MAX_PAGES = 50
MAX_PIXELS = 40_000_000          # a 12-megapixel camera's frame fits three times over
SUFFIX = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


class ScanRefused(ValueError):
    """A file that is not an acceptable scan; the message says why, in Chinese."""


@dataclass(frozen=True)
class Scan:
    """A checked scan, ready to store: its bytes (re-encoded for images), what it is."""
    filename: str
    media_type: str          # application/pdf | image/png | image/jpeg
    data: bytes
    pages: int               # a PDF's pages; 1 for an image
    width: int | None = None
    height: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        return SUFFIX[self.media_type]


def check(filename: str, data: bytes) -> Scan:
    """The file as a Scan, or ScanRefused naming what is wrong with it."""
    name = Path(filename or "scan").name[:120]
    if not data:
        raise ScanRefused(f"文件“{name}”是空的")
    if len(data) > MAX_FILE:
        raise ScanRefused(f"文件“{name}”有 {len(data) / 2**20:.1f} MB，超过每个文件 {MAX_FILE // 2**20} MB 的上限，"
                          "请降低扫描分辨率后重新扫描")
    if data[:5] == b"%PDF-":
        return _pdf(name, data)
    return _image(name, data)


def check_total(scans: list[Scan]) -> None:
    total = sum(len(s.data) for s in scans)
    if total > MAX_TOTAL:
        raise ScanRefused(f"全部材料共 {total / 2**20:.1f} MB，超过一件申请 {MAX_TOTAL // 2**20} MB 的上限")


def _pdf(name: str, data: bytes) -> Scan:
    from pypdf import PdfReader  # noqa: I001 — lazy: pypdf only when a PDF is checked
    from pypdf.errors import PyPdfError
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ScanRefused(f"文件“{name}”是加密的 PDF，无法查看，请提交未加密的扫描件")
        pages = len(reader.pages)
        if pages > MAX_PAGES:
            raise ScanRefused(f"文件“{name}”有 {pages} 页，超过每个文件 {MAX_PAGES} 页的上限，请分成几个文件")
        if pages == 0:
            raise ScanRefused(f"文件“{name}”没有页面")
        reader.pages[0].mediabox                       # the first page must be readable
    except ScanRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError, AttributeError):
        raise ScanRefused(f"文件“{name}”不是完整的 PDF（无法打开），请重新扫描") from None
    return Scan(name, "application/pdf", data, pages)


def _image(name: str, data: bytes) -> Scan:
    from PIL import Image, UnidentifiedImageError  # noqa: I001 — lazy: Pillow only when an image is checked
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if kind not in ("PNG", "JPEG"):
                raise ScanRefused(f"文件“{name}”不是 PDF、JPEG 或 PNG 文件，请用高拍仪或扫描仪重新扫描")
            if image.width * image.height > MAX_PIXELS:
                raise ScanRefused(f"文件“{name}”的图像过大（{image.width}×{image.height}），请降低分辨率后重新扫描")
            image.load()
            out = io.BytesIO()
            if kind == "JPEG":
                image.convert("RGB").save(out, "JPEG", quality=90)
            else:
                image.save(out, "PNG", optimize=False)
            width, height = image.size
    except ScanRefused:
        raise
    except Image.DecompressionBombError:
        raise ScanRefused(f"文件“{name}”的图像过大，请降低分辨率后重新扫描") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ScanRefused(f"文件“{name}”不是 PDF、JPEG 或 PNG 文件（或文件已损坏），请用高拍仪或扫描仪重新扫描") from None
    return Scan(name, "image/jpeg" if kind == "JPEG" else "image/png", out.getvalue(), 1, width, height)


def stored_path(root: Path, sha256: str, media_type: str) -> Path:
    return root / sha256[:2] / (sha256 + SUFFIX[media_type])


def store(root: Path, scan: Scan) -> Path:
    """Write the scan under root/<2 hex>/<sha256><suffix> (0600; once: the name is its content)."""
    path = stored_path(root, scan.sha256, scan.media_type)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(path.suffix + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(scan.data)
    os.replace(partial, path)
    return path
