"""The worst intake files found, each run through `onematter apply --json` in a fresh process:
wall time, peak memory and what came back. Each run is capped (address space 2 GB, 60 s), so a
tree that explodes on one is stopped rather than taking the machine down.

Then the generated hostile files of tests/test_hostile.py (its Hypothesis strategy), in-process
against one migrated SQLite database as the test runs them: the time each takes to be parsed and
submitted or refused, as percentiles and the slowest few. The test checks what comes back; the
bound it used to assert per file (5 s) is reported here.

    .venv/bin/python bench/hostile_inputs.py [--against GIT_REF] [--generated 300]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CAP_BYTES, CAP_SECONDS = 2 * 1024**3, 60


def cases(work: Path) -> dict[str, Path]:
    example = (REPO / "examples" / "application.yaml").read_text(encoding="utf-8")
    lol = "b0: &b0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
        f"b{i}: &b{i} [" + ",".join([f"*b{i - 1}"] * 9) + "]\n" for i in range(1, 9)) + "applicant:\n  category: *b8\n"
    texts = {
        "YAML aliases, 9 levels (1.2 KB)": lol,
        "nesting 50,000 deep": "applicant: " + "[" * 50_000 + "]" * 50_000,
        "1 MB town": example.replace("town: 当湖街道", "town: " + "x" * 1_000_000),
        "5,000-digit min_salary": example.replace("min_salary: 6000", "min_salary: " + "9" * 5000),
        "30,000 unknown fields": example + "".join(f"extra{i}: 1\n" for i in range(30_000)),
    }
    paths = {}
    for i, (name, text) in enumerate(texts.items()):
        paths[name] = work / f"case-{i}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


def run(tree: Path, work: Path) -> list[tuple[str, float, float, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEMATTER_", "PREFECT_"))}
    env["ONEMATTER_DATA_DIR"] = str(work / "data")
    rows = []
    for name, path in cases(work).items():
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "onematter.cli", "apply", str(path), "--json"], cwd=tree,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_limit)
        try:
            out, err = proc.communicate(timeout=CAP_SECONDS)
            outcome = f"exit {proc.returncode}, {len(out) + len(err):,} bytes of output"
            if b"MemoryError" in err:
                outcome += " (MemoryError at the 2 GB cap)"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            outcome = f"still running at the {CAP_SECONDS} s cap: killed"
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024     # MB, the largest child so far
        rows.append((name, seconds, peak, outcome))
    return rows


def show(title: str, rows) -> None:
    print(f"== {title}")
    print(f"{'input':<34} {'seconds':>8} {'peak MB (max so far)':>21}  outcome")
    for name, seconds, peak, outcome in rows:
        print(f"{name:<34} {seconds:>8.2f} {peak:>21.0f}  {outcome}")


BOUND_SECONDS = 5       # what test_generated_hostile_intake_files used to assert per file


def generated(tree: Path, work: Path, examples: int) -> list[tuple[str, int, float, str]]:
    """(shape, bytes, seconds, outcome) for each generated file, parse + submit as the test does."""
    os.environ.update({"ONEMATTER_DATA_DIR": str(work / "data"), "ONEMATTER_TODAY": "2026-11-30",
                       "ONEMATTER_DATABASE_URL": f"sqlite:///{work / 'data' / 'hostile.db'}"})
    (work / "data").mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(tree))
    from hypothesis import HealthCheck, Phase, given, settings
    from sqlmodel import Session

    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.config.db import get_engine, session_scope
    from onematter.services.keys import prepare
    from tests.test_hostile import TODAY, hostile_forms
    prepare()            # the data key (made on a new data dir) and the schema
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(TODAY)))
    from onematter.case.forms import FormError
    from onematter.case.lifecycle import OpenApplicationExists
    from onematter.casework.applications import submit_application
    from onematter.casework.intake import parse_intake
    from onematter.cli import _load
    rows = []

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.generate])
    @given(case=hostile_forms())
    def one(case):
        name, text = case
        path = work / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with Session(get_engine()) as session:
            started = time.perf_counter()
            try:
                submit_application(session, parse_intake(_load(path)), actor="bench")
                outcome = "accepted"
            except FormError as exc:
                outcome = f"refused ({len(exc.fields)} fields)"
            except OpenApplicationExists:
                outcome = "refused (open application)"
            seconds = time.perf_counter() - started
            session.rollback()
        rows.append((name.split(".")[-1], len(text.encode("utf-8", "surrogatepass")), seconds, outcome))
    one()
    return rows


def show_generated(title: str, rows) -> None:
    times = sorted(r[2] for r in rows)

    def pct(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))]
    print(f"== {title}: {len(rows)} generated hostile files (tests/test_hostile.py's strategy), parse + submit")
    print(f"{'median s':>9} {'p95 s':>8} {'p99 s':>8} {'max s':>8} {'total s':>8}  over {BOUND_SECONDS} s")
    print(f"{pct(0.5):>9.4f} {pct(0.95):>8.4f} {pct(0.99):>8.4f} {times[-1]:>8.4f} {sum(times):>8.2f}  "
          f"{sum(t > BOUND_SECONDS for t in times)}")
    print(f"{'slowest':<8} {'shape':<6} {'bytes':>8} {'seconds':>8}  outcome")
    for shape, size, seconds, outcome in sorted(rows, key=lambda r: -r[2])[:5]:
        print(f"{'':<8} {shape:<6} {size:>8,} {seconds:>8.4f}  {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", help="git ref to measure first (before) in a worktree")
    parser.add_argument("--generated", type=int, default=300, help="generated files to time (0: none)")
    args = parser.parse_args()
    extra = ["--generated", str(args.generated)]
    if args.against:
        from worktree import checkout
        with checkout(args.against) as before:
            # a fresh interpreter per tree: RUSAGE_CHILDREN's peak is per measuring process
            subprocess.run([sys.executable, __file__, "--tree", str(before), "--title", f"before: {args.against}",
                            *extra], check=True)
    subprocess.run([sys.executable, __file__, "--tree", str(REPO), "--title", "after: the working tree", *extra],
                   check=True)


if __name__ == "__main__":
    if "--tree" in sys.argv:
        p = argparse.ArgumentParser()
        p.add_argument("--tree")
        p.add_argument("--title")
        p.add_argument("--generated", type=int, default=0)
        a = p.parse_args()
        show(a.title, run(Path(a.tree), Path(tempfile.mkdtemp(prefix="onematter-bench-hostile-"))))
        if a.generated:
            print()
            show_generated(a.title, generated(Path(a.tree), Path(tempfile.mkdtemp(prefix="onematter-bench-gen-")),
                                              a.generated))
    else:
        main()
