"""Installable, not only runnable from a checkout: the wheel built from the project carries every
file the code reads, installs one top-level package (`onematter`), and `onematter demo` runs from
it in a fresh venv outside the checkout, importing nothing from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, TODAY

DATA_FOLDERS = ("templates", "examples", "deployments")     # top-level in the checkout, onematter/<name>/ installed
CODE_FOLDERS = {"onematter": "onematter", "flows": "onematter/flows", "tasks": "onematter/tasks"}
NOT_SHIPPED = {"__pycache__", ".DS_Store"}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not NOT_SHIPPED & set(p.parts)
                  and p.suffix != ".pyc")


def _expected_in_wheel() -> set[str]:
    """Every file of the checkout the installed package needs, at its installed path."""
    expected = set()
    for folder, target in CODE_FOLDERS.items():
        expected |= {f"{target}/{p.relative_to(REPO / folder).as_posix()}" for p in _files(REPO / folder)}
    for folder in DATA_FOLDERS:
        expected |= {f"onematter/{folder}/{p.relative_to(REPO / folder).as_posix()}" for p in _files(REPO / folder)}
    return expected


def test_every_package_directory_is_listed_in_pyproject():
    """pyproject lists its packages by hand (flows/ and tasks/ are mapped under onematter): a new
    subpackage (a directory with Python files) must be added there, or the wheel misses it."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {f"onematter.{d}" for d in DATA_FOLDERS}
    for folder, target in CODE_FOLDERS.items():
        for d in [REPO / folder, *(p for p in (REPO / folder).rglob("*") if p.is_dir())]:
            if "__pycache__" in d.parts or d.relative_to(REPO).parts[:2] == ("onematter", "migrations"):
                continue          # migrations/ is data to Alembic (no __init__), shipped as package data
            if any(d.glob("*.py")):
                found.add(".".join((target.replace("/", "."), *d.relative_to(REPO / folder).parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == set(), "listed in pyproject.toml but not in the tree"
    assert {config["package-dir"][f"onematter.{d}"] for d in DATA_FOLDERS} == set(DATA_FOLDERS)


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


# Written into the fresh venv and imported by a .pth line there, in every Python process of that
# venv (the CLI, its workers, Prefect's server): at exit it records where each onematter module came
# from and where resources found the data folders.
PROBE = '''
import atexit, json, os, sys

def _dump():
    out = os.environ.get("ONEMATTER_TEST_PROBE_DIR")
    if not out:
        return
    mods = {n: [getattr(m, "__file__", None), *list(getattr(m, "__path__", None) or [])]
            for n, m in list(sys.modules.items()) if n == "onematter" or n.startswith("onematter.")}
    found = {}
    res = sys.modules.get("onematter.config.resources")
    if res is not None:
        found = {"templates": str(res.templates_dir()), "examples": str(res.example("application.yaml")),
                 "deployments": str(res.deployments_file()), "migrations": str(res.migrations_dir()),
                 "in_checkout": res.in_checkout()}
    with open(os.path.join(out, f"{os.getpid()}.json"), "w") as fh:
        json.dump({"argv": sys.argv, "modules": mods, "resources": found}, fh)

atexit.register(_dump)
'''


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs_the_demo_outside_the_checkout(tmp_path):
    # 1. the wheel, built as `pip install .` builds it (isolated), from a copy of the checkout
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".data", ".lint", "build", "*.egg-info", "__pycache__", "out", ".pytest_cache"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", src, "-w", tmp_path / "wheel"], timeout=300)
    (wheel,) = (tmp_path / "wheel").glob("onematter-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/RECORD"))
        assert zf.read(f"{info}/top_level.txt").decode().split() == ["onematter"]
    assert {n.split("/")[0] for n in names} == {"onematter", info}, "one top-level package only"
    assert not [n for n in names if n.endswith(".pyc") or "/__pycache__/" in n]
    missing = _expected_in_wheel() - names
    assert not missing, f"the wheel lacks {sorted(missing)[:20]}"
    assert {"onematter/templates/messages/job_push.txt", "onematter/policy/policy.yaml",
            "onematter/migrations/env.py", "onematter/migrations/script.py.mako",
            "onematter/deployments/prefect.yaml", "onematter/examples/application.yaml",
            "onematter/web/static/app.css", "onematter/flows/__init__.py"} <= names

    # 2. a fresh venv with the wheel alone (--no-deps); the dependencies come from this venv's
    # site-packages through a .pth line: a directory added that way has its own .pth files
    # ignored, so this venv's editable finder (the checkout) stays out
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
         timeout=300)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    assert {p.name for p in site.iterdir()} == {"onematter", info}, "installs one top-level package only"
    ours = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    (site / "zz_deps.pth").write_text("".join(f"{p}\n" for p in sorted(ours)), encoding="utf-8")
    (site / "_onematter_probe.py").write_text(PROBE, encoding="utf-8")
    (site / "_onematter_probe.pth").write_text("import _onematter_probe\n", encoding="utf-8")

    # 3. `onematter demo` from a directory outside the checkout, its state under tmp_path
    work = tmp_path / "elsewhere"
    probes = tmp_path / "probes"
    work.mkdir(), probes.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "ONEMATTER_", "PYTHON", "VIRTUAL_ENV"))}
    env |= {"ONEMATTER_DATA_DIR": str(tmp_path / "data"), "PREFECT_HOME": str(tmp_path / "prefect"),
            "ONEMATTER_TODAY": TODAY.isoformat(), "ONEMATTER_TEST_PROBE_DIR": str(probes),
            "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"}
    done = subprocess.run([venv / "bin" / "onematter", "demo"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"PHYJS-{TODAY:%Y%m%d}-0001" in done.stdout
    pdfs = sorted((tmp_path / "data" / "documents").rglob("*.pdf"))
    assert all(str(p) in done.stdout for p in pdfs), done.stdout
    first = [p for p in pdfs if p.parent.name == f"PHYJS-{TODAY:%Y%m%d}-0001"]
    waited = {p.name for p in pdfs if p.parent.name == f"PHYJS-{TODAY:%Y%m%d}-0002"}
    assert len(first) == 8, done.stdout
    # the second one waited for its loan contract (一次性告知), then moved on when it came
    assert {"22-materials_notice.pdf", "09-loan_form.pdf"} <= waited and "待补正" in done.stdout, done.stdout
    assert all(p.read_bytes()[:4] == b"%PDF" for p in pdfs)
    assert not (work / ".data").exists()

    # 4. every onematter module any of its processes imported came from the fresh venv
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in probes.glob("*.json")]
    cli = [r for r in reports if "onematter.cli" in r["modules"]]
    assert cli, reports
    for report in reports:
        for name, paths in report["modules"].items():
            for path in filter(None, paths):
                assert Path(path).resolve().is_relative_to(site.resolve()), f"{name} from {path}"
    assert Path(cli[0]["modules"]["onematter"][0]).parent == site / "onematter"
    found = cli[0]["resources"]
    assert found.pop("in_checkout") is False
    assert all(Path(p).is_relative_to(site / "onematter") for p in found.values()), found

    # 5. installed, the default data dir is the user's (XDG), not the working directory
    env.pop("ONEMATTER_DATA_DIR")
    env |= {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    shown = _run([python, "-c", "from onematter.config.settings import get_settings; print(get_settings().data_dir)"],
                 cwd=work, env=env).stdout.strip()
    assert shown == str(tmp_path / "xdg" / "onematter")
