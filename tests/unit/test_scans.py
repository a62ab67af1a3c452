"""Scans are checked by their content (documents/scans.py): what the desk's scanner gives is
taken, re-encoded where it is an image; anything else is refused with a Chinese message."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from onematter.documents import scans


def _png(size=(60, 40), **info) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG", **info)
    return out.getvalue()


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (80, 60), "gray")
    exif = Image.Exif()
    exif[0x0110] = "Scanner X"          # Model
    exif[0x8825] = {2: (30, 0, 0)}      # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_taken_with_its_pages():
    scan = scans.check("合同.pdf", _pdf(3))
    assert (scan.media_type, scan.pages, scan.suffix) == ("application/pdf", 3, ".pdf")
    assert len(PdfReader(io.BytesIO(scan.data)).pages) == 3


def test_images_reencoded_without_their_metadata():
    raw = _jpeg_with_exif()
    assert Image.open(io.BytesIO(raw)).getexif()
    scan = scans.check("身份证.jpg", raw)
    assert scan.media_type == "image/jpeg" and (scan.width, scan.height) == (80, 60)
    assert not Image.open(io.BytesIO(scan.data)).getexif()
    png = scans.check("x.png", _png() + b"appended-after-IEND")
    assert png.media_type == "image/png" and b"appended-after-IEND" not in png.data


@pytest.mark.parametrize(("name", "data", "says"), [
    ("身份证.png", "这不是图片".encode(), "不是 PDF、JPEG 或 PNG"),
    ("合同.pdf", _pdf(2)[:300], "不是完整的 PDF"),
    ("合同.pdf", _pdf(51), "51 页"),
    ("大图.png", b"\0" * (scans.MAX_FILE + 1), "MB"),
    ("空.png", b"", "空的"),
    ("动图.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "不是 PDF、JPEG 或 PNG"),
])
def test_bad_files_refused_in_chinese(name, data, says):
    with pytest.raises(scans.ScanRefused, match=says) as exc:
        scans.check(name, data)
    assert name in str(exc.value)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")           # a few KB that decode to 400 megapixels
    assert len(out.getvalue()) < 200_000
    with pytest.raises(scans.ScanRefused, match="过大"):
        scans.check("扫描.png", out.getvalue())


def test_an_application_has_a_total_limit():
    big = scans.Scan("a.pdf", "application/pdf", b"x" * (9 * 2**20), 1)
    scans.check_total([big] * 4)
    with pytest.raises(scans.ScanRefused, match="40 MB"):
        scans.check_total([big] * 5)


def test_stored_content_addressed_and_private(tmp_path):
    scan = scans.check("x.png", _png())
    path = scans.store(tmp_path, scan)
    assert path.name == scan.sha256 + ".png" and path.parent.name == scan.sha256[:2]
    assert path.read_bytes() == scan.data and path.stat().st_mode & 0o777 == 0o600
    assert scans.store(tmp_path, scan) == path                  # the same content: the same file, once
