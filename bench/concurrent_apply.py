"""Many clerks at once on the embedded default: N `onematter apply` processes started together in
one new data dir (SQLite, each process its own Prefect ephemeral server), each a different person.
Prints the wall time, every exit code and the per-process times.

    .venv/bin/python bench/concurrent_apply.py [--processes 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def run(processes: int, work: Path) -> dict:
    from onematter.casework.samples import sample_form
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEMATTER_", "PREFECT_"))}
    env |= {"ONEMATTER_DATA_DIR": str(work / "data")}
    cli = [sys.executable, "-m", "onematter.cli"]
    subprocess.run(cli + ["catalog", "sample", str(work / "c.yaml")], env=env, check=True, capture_output=True, cwd=REPO)
    subprocess.run(cli + ["catalog", "import", str(work / "c.yaml")], env=env, check=True, capture_output=True, cwd=REPO)
    forms = []
    for i in range(processes):
        form = sample_form(200 + i, key=f"clerk-{i}")
        form["matters"].pop("job_fair")                 # keep the fair's 200 seats out of it
        path = work / f"form-{i}.yaml"
        path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
        forms.append(path)
    started = time.perf_counter()
    procs = [(subprocess.Popen(cli + ["apply", str(f), "--json"], env=env, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True), time.perf_counter()) for f in forms]
    results = []
    for proc, t0 in procs:
        out, err = proc.communicate(timeout=1800)
        results.append({"code": proc.returncode, "seconds": time.perf_counter() - t0,
                        "status": json.loads(out).get("status") if out.strip().startswith("{") else None,
                        "error": (json.loads(out).get("error") if out.strip().startswith("{") else err[-300:])})
    return {"wall": time.perf_counter() - started, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=20)
    args = parser.parse_args()
    report = run(args.processes, Path(tempfile.mkdtemp(prefix="onematter-bench-clerks-")))
    codes = [r["code"] for r in report["results"]]
    times = [r["seconds"] for r in report["results"]]
    print(f"{'measure':<44}  value")
    print("-" * 60)
    print(f"{'processes':<44}  {args.processes}")
    print(f"{'completed (exit 0)':<44}  {codes.count(0)}")
    print(f"{'wall time, s':<44}  {report['wall']:.1f}")
    print(f"{'per process median / max, s':<44}  {statistics.median(times):.1f} / {max(times):.1f}")
    for r in report["results"]:
        if r["code"] != 0:
            print(f"  failed: exit {r['code']} {r['error']}")


if __name__ == "__main__":
    main()
