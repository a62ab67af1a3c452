"""The worst intake files found, each run through `onematter apply --json` in a fresh process:
wall time, peak memory and what came back. Each run is capped (address space 2 GB, 60 s), so a
tree that explodes on one is stopped rather than taking the machine down.

    .venv/bin/python bench/hostile_inputs.py [--against GIT_REF]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", help="git ref to measure first (before) in a worktree")
    args = parser.parse_args()
    if args.against:
        from worktree import checkout
        with checkout(args.against) as before:
            # a fresh interpreter per tree: RUSAGE_CHILDREN's peak is per measuring process
            subprocess.run([sys.executable, __file__, "--tree", str(before), "--title", f"before: {args.against}"],
                           check=True)
    subprocess.run([sys.executable, __file__, "--tree", str(REPO), "--title", "after: the working tree"], check=True)


if __name__ == "__main__":
    if "--tree" in sys.argv:
        p = argparse.ArgumentParser()
        p.add_argument("--tree")
        p.add_argument("--title")
        a = p.parse_args()
        show(a.title, run(Path(a.tree), Path(tempfile.mkdtemp(prefix="onematter-bench-hostile-"))))
    else:
        main()
