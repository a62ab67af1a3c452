"""电子印章, measured (issue 22): signing time per document and per packet (PAdES B-B, the demo
seal's ECDSA P-256 key), the bytes the signature and the seal add, and the approved sample's whole
intake set (every document due at intake and the 受理文书清单) rendered without and with the seal.
Targets: ≤ 40 ms and ≤ 15 KB a document. Prints tables.

    .venv/bin/python bench/seal.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onematter-bench-seal-"))
    os.environ |= {"ONEMATTER_DATA_DIR": str(work), "ONEMATTER_DATA_KEY_FILE": str(work / "data.key"),
                   "ONEMATTER_SEAL_DIR": str(work / "seal")}
    os.environ.pop("ONEMATTER_DATABASE_URL", None)
    os.environ.pop("ONEMATTER_TSA_URL", None)
    from sqlmodel import select

    from onematter.case.models import Application, Document
    from onematter.casework.dossier import kind
    from onematter.casework.issuing import build_context, packet_context
    from onematter.casework.samples import _run
    from onematter.config.crypto import create_key_file
    from onematter.config.db import session_scope
    from onematter.documents import render as docs, seal

    create_key_file(work / "data.key")
    seal.make_demo()
    _run(work / "samples")
    with session_scope() as s:
        app = s.exec(select(Application).order_by(Application.application_no)).first()      # the approved sample
        rows = [d for d in s.exec(select(Document).where(Document.application_id == app.id)).all()
                if not d.doc_key.startswith("packet")]
        rows.sort(key=lambda d: kind(d.doc_key).number)
        contexts = {d.doc_key: build_context(s, app, d.doc_key) for d in rows}
        intake_parts = [d for d in rows if d.doc_key in ("form", "receipt", "training", "education", "job_push",
                                                          "job_fair", "incentive_form", "loan_form")]
        cover_context = packet_context(s, app, "packet-intake", intake_parts)

    print(f"sealing, {args.repeat} runs each (median); the demo seal, PAdES B-B")
    print(f"{'document':<28}{'pages':>6}{'KB':>7}{'+KB':>7}{'sign ms':>9}")
    print("-" * 57)
    times, added, rendered = [], [], {}
    for d in rows:
        r = docs.render(d.template, contexts[d.doc_key])
        rendered[d.doc_key] = r
        if not seal.areas(r.document):
            continue
        runs, size = [], 0
        for _ in range(args.repeat):
            t = time.perf_counter()
            signed = seal.sign(r.document, r.pdf, title=d.title)
            runs.append(time.perf_counter() - t)
            size = len(signed) - len(r.pdf)
        times.append(statistics.median(runs))
        added.append(size)
        print(f"{d.doc_key:<28}{r.pages:>6}{len(r.pdf) // 1024:>7}{size / 1024:>7.1f}{statistics.median(runs) * 1000:>9.1f}")
    print("-" * 57)
    print(f"{'median over documents':<28}{'':>6}{'':>7}{statistics.median(added) / 1024:>7.1f}"
          f"{statistics.median(times) * 1000:>9.1f}")

    cover = docs.render(kind("packet-intake").template, cover_context)
    bodies = [rendered[d.doc_key] for d in intake_parts]
    packet = docs.combine(cover, bodies)
    runs = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        signed = seal.sign(packet.document, packet.pdf, title="受理文书清单")
        runs.append(time.perf_counter() - t)
    print(f"{'packet-intake':<28}{len(packet.document.pages):>6}{len(packet.pdf) // 1024:>7}"
          f"{(len(signed) - len(packet.pdf)) / 1024:>7.1f}{statistics.median(runs) * 1000:>9.1f}"
          f"   ({len(seal.areas(packet.document))} seal areas)")

    print()
    print("the approved sample's intake set (every document due at intake, then the 受理文书清单), median s")
    for sealed in (False, True):
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            parts = [docs.render(d.template, contexts[d.doc_key], sealed=sealed) for d in intake_parts]
            docs.combine(docs.render(kind("packet-intake").template, cover_context), parts, sealed=sealed,
                         title="受理文书清单")
            runs.append(time.perf_counter() - t)
        print(f"  {'sealed' if sealed else 'unsealed':<9}{statistics.median(runs):.3f} s")


if __name__ == "__main__":
    main()
