"""Checking and storing the scans of one application (documents/scans.py): a 5-page PDF and three
12-megapixel JPEGs (4000×3000, a phone or 高拍仪 frame), checked by content (pypdf; Pillow decode
and re-encode) and stored content-addressed. Median of 5; prints a table.

    .venv/bin/python bench/materials.py
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _jpeg(seed: int) -> bytes:
    from PIL import Image, ImageDraw
    image = Image.new("RGB", (4000, 3000), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    for i in range(0, 3000, 40):                      # lines of "text", like a scanned page
        draw.rectangle((200, i, 200 + (i * 7 + seed * 131) % 3400, i + 14), fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _pdf(pages: int) -> bytes:
    from PIL import Image
    frames = [Image.new("RGB", (1240, 1754), "white") for _ in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, "PDF", save_all=True, append_images=frames[1:], resolution=150)
    return out.getvalue()


def main() -> None:
    from onematter.documents import scans
    files = [("contract.pdf", _pdf(5))] + [(f"photo-{i}.jpg", _jpeg(i)) for i in range(3)]
    sizes = ", ".join(f"{n} {len(d) / 2**20:.1f} MB" for n, d in files)
    check, store = [], []
    for _ in range(5):
        root = Path(tempfile.mkdtemp(prefix="onematter-bench-scans-"))
        t0 = time.perf_counter()
        checked = [scans.check(n, d) for n, d in files]
        scans.check_total(checked)
        t1 = time.perf_counter()
        for s in checked:
            scans.store(root, s)
        t2 = time.perf_counter()
        check.append(t1 - t0)
        store.append(t2 - t1)
    print(f"files: {sizes}")
    print("| step | median (s) |")
    print("| --- | ---: |")
    print(f"| check (open, decode, re-encode) | {statistics.median(check):.3f} |")
    print(f"| store (content-addressed, 0600) | {statistics.median(store):.3f} |")
    print(f"| total | {statistics.median(c + s for c, s in zip(check, store)):.3f} |")


if __name__ == "__main__":
    main()
