"""End-to-end time of the sample combined application on the embedded default, against the time
bare WeasyPrint takes to render the same documents. Prints a table.

    .venv/bin/python bench/application.py [--runs 10] [--against GIT_REF]

`--against REF` runs this same bench first on REF (a git worktree, same venv and machine) and then
on the working tree, so a change is measured before and after in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--against", help="git ref to measure first, for a before/after comparison")
    args = parser.parse_args()
    if args.against:
        from worktree import checkout
        with checkout(args.against) as before:
            print(f"== before: {args.against}", flush=True)
            subprocess.run([sys.executable, str(before / "bench" / "application.py"), "--runs", str(args.runs)],
                           cwd=before, check=True)
        print("== after: the working tree", flush=True)
    work = Path(tempfile.mkdtemp(prefix="onematter-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEMATTER_", "PREFECT_"))}
    env["ONEMATTER_DATA_DIR"] = str(work / "cold")

    # cold: a new data dir; `init-db` (what `make demo` does first) prepares both databases, then
    # the first application in a new process (Prefect's ephemeral server started on a migrated DB)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "onematter.cli", "init-db"], env=env, check=True, capture_output=True,
                   cwd=REPO)
    init = time.perf_counter() - started
    subprocess.run([sys.executable, "-m", "onematter.cli", "catalog", "sample", str(work / "c.yaml")],
                   env=env, check=True, capture_output=True, cwd=REPO)
    subprocess.run([sys.executable, "-m", "onematter.cli", "catalog", "import", str(work / "c.yaml")],
                   env=env, check=True, capture_output=True, cwd=REPO)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "onematter.cli", "apply", str(REPO / "examples" / "application.yaml"),
                    "--json"], env=env, check=True, capture_output=True, cwd=REPO)
    cold = time.perf_counter() - started

    # warm: one process, many applications
    os.environ["ONEMATTER_DATA_DIR"] = str(work / "warm")
    from bench.rows import demo_seal
    demo_seal(work / "warm")
    from onematter.config.embedded import prefect_defaults
    prefect_defaults()
    import asyncio

    from onematter.flows.combined_application import combined_application
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.casework.applications import submit_application
    from onematter.config.db import session_scope
    from onematter.services.keys import prepare
    from onematter.casework.intake import parse_intake
    from onematter.casework.samples import sample_form
    from onematter.config.settings import today

    prepare()            # the data key (made on a new data dir) and the schema
    from onematter.config.embedded import prepare_prefect
    prepare_prefect()                      # as init-db does: the first run does not migrate Prefect's DB
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(today())))

    def one(i: int) -> tuple[float, str]:
        form = sample_form(i, key=f"bench-{i}")
        form.pop("materials")              # the processing alone (bench/materials.py times the scans)
        t0 = time.perf_counter()
        with session_scope() as s:
            app, _ = submit_application(s, parse_intake(form), actor="bench")
        asyncio.run(combined_application(application_id=app.id))
        return time.perf_counter() - t0, app.application_no

    first, _ = one(0)                      # starts the ephemeral server
    times = [one(i)[0] for i in range(1, args.runs + 1)]
    warm = statistics.median(times)
    _, last_no = one(args.runs + 1)

    # bare WeasyPrint: the same documents' HTML, rendered and combined without our layer
    from weasyprint import HTML

    from onematter.documents import render as docs
    from onematter.case.lifecycle import get_application
    from onematter.casework.applications import matter_cases
    from onematter.casework.dossier import due_documents, kind, packet_key
    from onematter.casework.issuing import build_context
    with session_scope() as s:
        app = get_application(s, last_no)
        keys = due_documents(app, matter_cases(s, app.id)) + [packet_key(app)]
        htmls = []
        for key in keys:
            ctx = build_context(s, app, key)
            if key.startswith("packet"):
                ctx["contents"] = []
            code = docs.verification_code(docs.context_sha256(kind(key).template, ctx))
            htmls.append(docs.render_html(kind(key).template, {**ctx, "verification_code": code,
                                                          "qr_svg": docs.qr_svg(ctx, code)}))
    base_url = str(REPO / "templates") + "/"
    bare_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rendered = [HTML(string=h, base_url=base_url).render() for h in htmls]
        for r in rendered[:-1]:
            r.write_pdf()
        pages = [p for r in [rendered[-1], *rendered[:-1]] for p in r.pages]
        rendered[-1].copy(pages).write_pdf()
        bare_times.append(time.perf_counter() - t0)
    bare = statistics.median(bare_times)

    rows = [
        ("documents per application", f"{len(keys)}"),
        ("init-db on a new data dir (ours + Prefect's migrations), s", f"{init:.2f}"),
        ("cold first application (new process, server start), s", f"{cold:.2f}"),
        ("first application in process, s", f"{first:.2f}"),
        (f"warm median of {args.runs}, s", f"{warm:.2f}"),
        ("warm min / max, s", f"{min(times):.2f} / {max(times):.2f}"),
        ("bare WeasyPrint, same documents + packet, s", f"{bare:.2f}"),
        ("ratio warm / bare (target ≤ 1.5)", f"{warm / bare:.2f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value")
    print("-" * (width + 10))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
