"""Start-up time of each CLI command, median of N runs in a fresh process each, on a data dir that
holds one application (the reading commands neither migrate nor import Prefect or WeasyPrint).

    .venv/bin/python bench/cli_startup.py [--runs 5]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onematter-bench-cli-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEMATTER_", "PREFECT_"))}
    env["ONEMATTER_DATA_DIR"] = str(work / "data")
    cli = [sys.executable, "-m", "onematter.cli"]
    for step in (["catalog", "sample", str(work / "c.yaml")], ["catalog", "import", str(work / "c.yaml")],
                 ["apply", str(REPO / "examples" / "application.yaml"), "--json"]):
        subprocess.run(cli + step, env=env, cwd=REPO, check=True, capture_output=True)
    receipt = next((work / "data" / "documents").rglob("02-receipt.pdf"))
    number = receipt.parent.name
    commands = [["--help"], ["status", number, "--json"], ["list", "--json"], ["verify", str(receipt), "--json"],
                ["catalog", "sample", str(work / "c2.yaml")], ["init-db"]]
    print(f"{'command':<44}  median s (min / max) of {args.runs}")
    print("-" * 72)
    for command in commands:
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(cli + command, env=env, cwd=REPO, check=False, capture_output=True)
            times.append(time.perf_counter() - t0)
        label = " ".join(c if len(c) < 30 else "…" + c[-20:] for c in command)
        print(f"{label:<44}  {statistics.median(times):.2f} ({min(times):.2f} / {max(times):.2f})")


if __name__ == "__main__":
    main()
