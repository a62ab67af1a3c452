"""Per-document render time against bare WeasyPrint on the same HTML, the packet's time and
size, and peak memory, for the sample application; how long the URL fetcher takes to refuse an
outside resource (tests/test_documents.py checks that it refuses without touching the network; the
0.1 s it used to assert is reported here). Prints tables.

    .venv/bin/python bench/documents.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _case_documents(which: str):
    """The last (refused) sample application's documents and their contexts."""
    from sqlmodel import select

    from onematter.config.db import session_scope
    from onematter.casework.dossier import kind
    from onematter.casework.issuing import build_context
    from onematter.case.models import Application, Document
    with session_scope() as s:
        app = s.exec(select(Application).order_by(Application.application_no.desc())).first()
        parts = [d for d in s.exec(select(Document).where(Document.application_id == app.id)).all()
                 if not d.doc_key.startswith("packet")]
        parts.sort(key=lambda d: kind(d.doc_key).number)
        return parts, {d.doc_key: build_context(s, app, d.doc_key) for d in parts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["ONEMATTER_DATA_DIR"] = tempfile.mkdtemp(prefix="onematter-bench-docs-")
    os.environ.pop("ONEMATTER_DATABASE_URL", None)
    work = Path(os.environ["ONEMATTER_DATA_DIR"])
    os.environ["ONEMATTER_DATA_KEY_FILE"] = str(work / "data.key")       # its own key and (demo) seal
    from bench.rows import demo_seal
    from onematter.config.crypto import create_key_file
    create_key_file(work / "data.key")
    demo_seal(work)
    from sqlmodel import select
    from weasyprint import HTML

    from onematter.documents import render as docs
    from onematter.casework.dossier import kind
    from onematter.casework.issuing import build_context
    from onematter.case.models import Application, Document
    from onematter.config.db import session_scope
    from onematter.casework.samples import _run

    out = Path(os.environ["ONEMATTER_DATA_DIR"]) / "samples"
    t0 = time.perf_counter()
    _run(out)                                   # approved, rejected and refused sample cases
    cold_all = time.perf_counter() - t0

    base_url = str(docs.templates_dir()) + "/"
    rows = []
    ours_rss = []
    with session_scope() as s:
        app = s.exec(select(Application).order_by(Application.application_no)).first()
        parts = [d for d in s.exec(select(Document).where(Document.application_id == app.id)).all()
                 if not d.doc_key.startswith("packet")]
        parts.sort(key=lambda d: kind(d.doc_key).number)
        contexts = {d.doc_key: build_context(s, app, d.doc_key) for d in parts}
    rendered = {}
    for d in parts:
        ctx = contexts[d.doc_key]
        ours, bare = [], []
        code = docs.verification_code(docs.context_sha256(d.template, ctx))
        html = docs.render_html(d.template, {**ctx, "verification_code": code, "qr_svg": docs.qr_svg(ctx, code)})
        for _ in range(args.repeat):
            t = time.perf_counter()
            rendered[d.doc_key] = docs.render(d.template, ctx)
            ours.append(time.perf_counter() - t)
            ours_rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
            t = time.perf_counter()
            HTML(string=html, base_url=base_url).write_pdf()
            bare.append(time.perf_counter() - t)
        r = rendered[d.doc_key]
        rows.append((d.doc_key, r.pages, len(r.pdf) // 1024, statistics.median(ours), statistics.median(bare)))

    with session_scope() as s:
        app = s.get(Application, app.id)
        from onematter.casework.issuing import packet_context
        cover_ctx = packet_context(s, app, "packet", parts)
    packet_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        cover = docs.render("packet/cover.html", cover_ctx)
        packet = docs.combine(cover, [rendered[d.doc_key] for d in parts])
        packet_times.append(time.perf_counter() - t)

    print(f"{'document':<30}{'pages':>6}{'KB':>7}{'ours s':>9}{'bare s':>9}{'ratio':>7}")
    print("-" * 68)
    for key, pages, kb, ours, bare in rows:
        print(f"{key:<30}{pages:>6}{kb:>7}{ours:>9.3f}{bare:>9.3f}{ours / bare:>7.2f}")
    total_ours = sum(r[3] for r in rows)
    total_bare = sum(r[4] for r in rows)
    print("-" * 68)
    print(f"{'all documents':<30}{sum(r[1] for r in rows):>6}{'':>7}{total_ours:>9.3f}{total_bare:>9.3f}"
          f"{total_ours / total_bare:>7.2f}")
    print(f"{'packet (cover + combine)':<30}{len(packet.document.pages):>6}{len(packet.pdf) // 1024:>7}"
          f"{statistics.median(packet_times):>9.3f}")
    refused_parts, refused_contexts = _case_documents("refused")
    with session_scope() as s:
        from onematter.casework.issuing import packet_context
        refused_app = s.exec(select(Application).order_by(Application.application_no.desc())).first()
        refused_contexts["__cover__"] = packet_context(s, refused_app, "packet", refused_parts)
    faces_table(refused_parts, refused_contexts)
    fetcher_table(args.repeat * 20)
    print()
    print(f"three sample cases, every kind, first run incl. database: {cold_all:.2f} s")
    print(f"peak memory (max RSS) after our first renders: {ours_rss[0]} MB; after the whole run "
          f"(bare WeasyPrint builds a new FontConfiguration per document): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


REFUSAL_BOUND = 0.1      # seconds: what test_documents used to assert per refusal


def fetcher_table(repeat: int) -> None:
    """Time to refuse each outside URL (no look-up, no connection) and to serve a template file."""
    from onematter.documents import render as docs
    fetcher = docs.url_fetcher()
    urls = {"http://example.com/x.css": True, "https://127.0.0.1:9/x.png": True, "file:///etc/passwd": True,
            (docs.templates_dir() / ".." / "pyproject.toml").as_uri(): True,
            (docs.templates_dir() / "styles" / "print.css").as_uri(): False}
    print()
    print(f"URL fetcher: {repeat} calls each")
    print(f"{'url':<60}{'outcome':>9}{'median ms':>11}{'max ms':>9}  over {REFUSAL_BOUND} s")
    for url, refused in urls.items():
        times, outcome = [], "served"
        for _ in range(repeat):
            t = time.perf_counter()
            try:
                fetcher(url)
            except docs.FetchRefused:
                outcome = "refused"
            times.append(time.perf_counter() - t)
        assert (outcome == "refused") == refused, url
        shown = url if len(url) <= 58 else "…" + url[-57:]
        print(f"{shown:<60}{outcome:>9}{statistics.median(times) * 1000:>11.3f}{max(times) * 1000:>9.3f}"
              f"  {sum(t > REFUSAL_BOUND for t in times)}")


def face_costs(pdf: bytes) -> dict[str, int]:
    """Bytes of each embedded face (its font file stream, compressed, as stored in the PDF)."""
    import io

    from pypdf import PdfReader
    costs: dict[str, int] = {}
    seen = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for d in font.get("/DescendantFonts", [font]):
                d = d.get_object()
                desc = d.get("/FontDescriptor")
                if desc is None:
                    continue
                desc = desc.get_object()
                for key in ("/FontFile3", "/FontFile2", "/FontFile"):
                    if key in desc and desc.raw_get(key).idnum not in seen:
                        seen.add(desc.raw_get(key).idnum)
                        name = str(d["/BaseFont"]).split("+")[-1]
                        costs[name] = costs.get(name, 0) + len(desc[key].get_object()._data)
    return costs


def faces_table(parts, contexts) -> None:
    """What each face costs, with the cut faces (onematter fonts) and with the full system faces."""
    from onematter.documents import render as docs
    from onematter.documents import fonts
    from onematter.config.settings import get_settings
    keys = [k for k in ("receipt", "refusal-education", "completion") if k in contexts]
    print()
    print("font faces: KB per embedded face (cut = onematter fonts, GB 2312; full = fonts-noto-cjk)")
    print(f"{'variant':<7}{'document':<22}{'pages':>6}{'KB':>7}  faces")
    for variant in ("cut", "full"):
        if variant == "full":
            os.environ["ONEMATTER_FONTS_DIR"] = tempfile.mkdtemp(prefix="onematter-nofonts-")
        get_settings.cache_clear()
        fonts.available.cache_clear()
        docs._env.cache_clear()
        docs.font_config.cache_clear()      # a FontConfiguration keeps the @font-face faces it has loaded
        rendered = {d.doc_key: docs.render(d.template, contexts[d.doc_key]) for d in parts}
        for key in keys:
            r = rendered[key]
            faces = ", ".join(f"{n} {b // 1024}" for n, b in sorted(face_costs(r.pdf).items()))
            print(f"{variant:<7}{key:<22}{r.pages:>6}{len(r.pdf) // 1024:>7}  {faces}")
        from onematter.casework.issuing import packet_context  # noqa: F401  (same cover as above)
        cover = docs.render("packet/cover.html", contexts["__cover__"])
        packet = docs.combine(cover, [rendered[d.doc_key] for d in parts])
        faces = ", ".join(f"{n} {b // 1024}" for n, b in sorted(face_costs(packet.pdf).items()))
        print(f"{variant:<7}{'packet':<22}{len(packet.document.pages):>6}{len(packet.pdf) // 1024:>7}  {faces}")
    os.environ.pop("ONEMATTER_FONTS_DIR", None)


if __name__ == "__main__":
    main()
