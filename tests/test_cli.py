"""The CLI's JSON contract (README): apply, status, list, decide, catalog import, verify."""

import json
import os
import subprocess
from pathlib import Path
import sys

import yaml
from typer.testing import CliRunner

from onematter.cli import app
from tests.conftest import REPO, TODAY

runner = CliRunner()


def _write(tmp_path, data, name="form.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout


def test_apply_status_list_decide_json_contract(prefect, db, catalogue, form, tmp_path):
    code, out = _run("apply", _write(tmp_path, form), "--json")
    assert code == 0, out
    view = json.loads(out)
    assert set(view) >= {"application_no", "status", "deadline", "matters", "documents"}
    assert view["application_no"] == f"PHYJS-{TODAY:%Y%m%d}-0001"
    assert view["status"] == "awaiting_decision" and view["deadline"] == "2026-12-14"
    m = {x["matter"]: x for x in view["matters"]}
    assert m["training"]["details"] == {"course": "PX-QCWX-01", "waitlist_position": None}
    assert m["job_push"]["details"]["postings"] == ["GW-001", "GW-003", "GW-004"]
    assert m["job_fair"]["details"]["fair"] == "ZP-01" and m["job_fair"]["details"]["registration_code"]
    assert m["employer_incentive"]["details"]["total_yuan"] == 27000
    assert m["employer_incentive"]["details"]["rate_yuan"] == 9000
    for d in view["documents"]:
        assert os.path.isfile(d["path"]) and len(d["sha256"]) == 64 and d["kind"]

    code, again = _run("apply", _write(tmp_path, form), "--json")       # same idempotency key
    assert code == 0 and json.loads(again)["application_no"] == view["application_no"]

    other = {**form, "idempotency_key": "second-visit"}
    code, out = _run("apply", _write(tmp_path, other, "other.yaml"), "--json")
    assert code == 2 and json.loads(out) == {"error": "open_application_exists",
                                             "application_no": view["application_no"]}

    code, out = _run("status", view["application_no"], "--json")
    assert code == 0 and json.loads(out)["matters"] == view["matters"]
    code, out = _run("list", "--json")
    assert [v["application_no"] for v in json.loads(out)] == [view["application_no"]]

    code, out = _run("decide", view["application_no"], "--reject", "--by", "李科长", "--json")
    assert code == 2 and "审核意见" in json.loads(out)["message"]
    code, out = _run("decide", view["application_no"], "--approve", "--by", "李科长", "--json")
    assert code == 0, out
    decided = json.loads(out)
    assert decided["status"] == "completed"
    assert {x["matter"]: x["status"] for x in decided["matters"]}["employer_incentive"] == "approved"
    assert {"incentive_approval", "completion", "packet"} <= {d["kind"] for d in decided["documents"]}
    code, out = _run("decide", view["application_no"], "--reject", "--by", "赵", "--comment", "x", "--json")
    assert code == 2 and "不能重复审核" in json.loads(out)["message"]

    receipt = next(d for d in decided["documents"] if d["kind"] == "receipt")["path"]
    code, out = _run("verify", receipt, "--json")
    assert code == 0 and json.loads(out)["result"] == "genuine"


def test_refused_intake_exit_2_names_fields_and_stores_nothing(db, form, tmp_path):
    form["applicant"]["mobile"] = "999"
    form["consent"] = False
    code, out = _run("apply", _write(tmp_path, form), "--json")
    assert code == 2
    body = json.loads(out)
    assert body["error"] == "invalid_intake"
    assert set(body["fields"]) == {"applicant.mobile", "consent"}
    code, out = _run("list", "--json")
    assert json.loads(out) == []


def test_catalogue_import_updates_by_code_and_refuses_bad_items(db, tmp_path):
    from onematter.casework.catalogue import sample_catalogue
    data = sample_catalogue(TODAY)
    code, out = _run("catalog", "import", _write(tmp_path, data, "c.yaml"), "--json")
    assert code == 0 and json.loads(out)["courses"] == {"created": 3, "updated": 0}
    code, out = _run("catalog", "import", _write(tmp_path, data, "c.yaml"), "--json")
    assert json.loads(out)["postings"] == {"created": 0, "updated": 5}
    data["courses"][0]["mode"] = "随便式"
    data["postings"][0]["employer_code"] = "123"
    code, out = _run("catalog", "import", _write(tmp_path, data, "bad.yaml"), "--json")
    body = json.loads(out)
    assert code == 2 and body["error"] == "invalid_catalogue"
    assert "courses.0.mode" in body["fields"] and "postings.0.employer_code" in body["fields"]


def test_real_command_end_to_end_on_the_embedded_default(tmp_path):
    """`onematter demo` as a user runs it: a fresh data dir, SQLite, Prefect's local server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ONEMATTER_"))}
    env |= {"ONEMATTER_DATA_DIR": str(tmp_path / "data"), "ONEMATTER_TODAY": TODAY.isoformat()}
    done = subprocess.run([sys.executable, "-m", "onematter.cli", "demo"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"PHYJS-{TODAY:%Y%m%d}-0001" in done.stdout
    pdfs = sorted((tmp_path / "data" / "documents").rglob("*.pdf"))
    assert all(str(p) in done.stdout for p in pdfs)
    # the example application, then one that waits for its loan contract and moves on when it comes
    assert len([p for p in pdfs if p.parent.name.endswith("-0001")]) == 8
    assert {"22-materials_notice.pdf", "09-loan_form.pdf"} <= {p.name for p in pdfs if p.parent.name.endswith("-0002")}
    assert "330482199203151217" not in done.stdout + done.stderr      # no ID number printed


def test_unreadable_file_is_refused_as_json(db, tmp_path):
    code, out = _run("apply", tmp_path / "missing.yaml", "--json")
    assert code == 2 and "无法读取文件" in json.loads(out)["fields"]["file"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("applicant: [", encoding="utf-8")
    code, out = _run("apply", bad, "--json")
    assert code == 2 and "YAML/JSON" in json.loads(out)["fields"]["file"]


def test_unprintable_name_is_a_form_error(db, form, tmp_path):
    form["applicant"]["name"] = "陆\U0003134A"
    code, out = _run("apply", _write(tmp_path, form), "--json")
    assert code == 2 and "U+3134A" in json.loads(out)["fields"]["applicant.name"]


def test_failed_render_fails_the_run_visibly(prefect, db, catalogue, form, tmp_path, session):
    """A document that cannot be rendered fails the run with a message a supervisor understands;
    the case keeps its decisions and a later submission finishes the documents."""
    from sqlmodel import select

    from onematter.casework.applications import submit_application
    from onematter.casework.intake import parse_intake
    from onematter.case.models import Person
    app_row, _ = submit_application(session, parse_intake(form), actor="t")
    person = session.exec(select(Person)).one()
    person.name = "陆\U0003134A"            # e.g. corrected in the database after intake
    session.add(person)
    session.commit()
    code, out = _run("apply", _write(tmp_path, form), "--json")
    body = json.loads(out)
    assert code == 1 and body["error"] == "processing_failed" and "U+3134A" in body["message"]
    person.name = "陆建军"
    session.add(person)
    session.commit()
    code, out = _run("apply", _write(tmp_path, form), "--json")
    assert code == 0 and {d["kind"] for d in json.loads(out)["documents"]} >= {"form", "receipt", "packet-intake"}


def test_init_db_prepares_prefects_database_once_under_a_lock(tmp_path):
    """A new data dir: `init-db` migrates Prefect's own database to its head before any run, so
    the first application never waits on the ephemeral server's migrations (start-up timeout).
    Three processes at once on one new data dir: one migrates, the others wait for it."""
    import sqlite3

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ONEMATTER_"))}
    env |= {"ONEMATTER_DATA_DIR": str(tmp_path / "data")}
    procs = [subprocess.Popen([sys.executable, "-m", "onematter.cli", "init-db"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
        assert "数据库已就绪" in out
    home = tmp_path / "data" / "prefect"
    with sqlite3.connect(home / "prefect.db") as conn:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'flow_run'").fetchone() == (1,)
    import prefect.server.database as prefect_db
    versions = Path(prefect_db.__file__).parent / "_migrations" / "versions" / "sqlite"
    newest = sorted(p.name for p in versions.glob("*.py") if p.name[:4].isdigit())[-1]
    assert revision in newest                      # Prefect's migrations (dated file names) at head
    assert (home / ".onematter-prefect-db").read_text(encoding="utf-8").startswith("prefect ")


def test_several_clerks_at_once_on_the_embedded_default(tmp_path):
    """Processes applying at once in one new data dir (SQLite, each its own Prefect ephemeral
    server): every one completes, serials never repeat. The suite runs 3 (its time budget);
    `bench/concurrent_apply.py --processes 20` runs twenty."""
    from onematter.casework.samples import sample_form
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ONEMATTER_"))}
    env |= {"ONEMATTER_DATA_DIR": str(tmp_path / "data"), "ONEMATTER_TODAY": TODAY.isoformat()}
    cli = [sys.executable, "-m", "onematter.cli"]
    subprocess.run(cli + ["catalog", "sample", str(tmp_path / "c.yaml")], env=env, cwd=REPO, check=True, capture_output=True)
    subprocess.run(cli + ["catalog", "import", str(tmp_path / "c.yaml")], env=env, cwd=REPO, check=True, capture_output=True)
    paths = []
    for i in range(3):
        path = tmp_path / f"form-{i}.yaml"
        path.write_text(yaml.safe_dump(sample_form(300 + i, key=f"clerk-{i}"), allow_unicode=True), encoding="utf-8")
        paths.append(path)
    procs = [subprocess.Popen(cli + ["apply", str(p), "--json"], env=env, cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in paths]
    numbers = []
    for proc in procs:
        out, err = proc.communicate(timeout=400)
        assert proc.returncode == 0, err[-2000:]
        view = json.loads(out)
        assert view["status"] == "awaiting_decision" and len(view["documents"]) == 8
        numbers.append(view["application_no"])
    assert sorted(numbers) == [f"PHYJS-{TODAY:%Y%m%d}-{n:04d}" for n in range(1, 4)]


def test_reading_commands_are_light(db, tmp_path):
    """`status`, `list`, `verify` and the other lists neither migrate nor import Prefect, WeasyPrint or
    FastAPI."""
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('HEAVY=' + ','.join(m for m in ('prefect', 'weasyprint', 'alembic', 'fastapi')"
             " if m in sys.modules), file=sys.stderr))\n"
             "from onematter.cli import app\n"
             "app(sys.argv[1:])\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    for args in (["status", "PHYJS-20261130-0009", "--json"], ["list", "--json"], ["verify", REPO / "README.md", "--json"],
                 ["user", "list", "--json"], ["notifications", "list", "--json"], ["tasks", "list", "--json"]):
        done = subprocess.run([sys.executable, "-c", probe, *map(str, args)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=60)
        assert "HEAVY=\n" in done.stderr + "\n", (args, done.stderr[-500:])
        assert done.stdout.strip().startswith(("{", "[")), done.stdout


def _ephemeral_servers(home) -> list[int]:
    """Prefect ephemeral servers (uvicorn) whose PREFECT_HOME is `home`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if b"prefect.server.api.server:create_app" in (proc / "cmdline").read_bytes() and \
                    f"PREFECT_HOME={home}".encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


def test_nothing_the_cli_starts_outlives_it(tmp_path):
    """A CLI killed with SIGKILL in the middle of an application: its Prefect server goes too."""
    import signal
    import time
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ONEMATTER_"))}
    env |= {"ONEMATTER_DATA_DIR": str(tmp_path / "data"), "ONEMATTER_TODAY": TODAY.isoformat()}
    cli = [sys.executable, "-m", "onematter.cli"]
    subprocess.run(cli + ["catalog", "sample", str(tmp_path / "c.yaml")], env=env, cwd=REPO, check=True, capture_output=True)
    subprocess.run(cli + ["catalog", "import", str(tmp_path / "c.yaml")], env=env, cwd=REPO, check=True, capture_output=True)
    subprocess.run(cli + ["init-db"], env=env, cwd=REPO, check=True, capture_output=True)
    home = tmp_path / "data" / "prefect"
    proc = subprocess.Popen(cli + ["apply", str(REPO / "examples" / "application.yaml"), "--json"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not _ephemeral_servers(home) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert _ephemeral_servers(home), "the ephemeral server never started"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    deadline = time.monotonic() + 15
    while _ephemeral_servers(home) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _ephemeral_servers(home) == []
    # and the application it left is taken up by the next submission of the form
    done = subprocess.run(cli + ["apply", str(REPO / "examples" / "application.yaml"), "--json"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "awaiting_decision"
    deadline = time.monotonic() + 15
    while _ephemeral_servers(home) and time.monotonic() < deadline:   # a CLI that ends normally: gone too
        time.sleep(0.25)
    assert _ephemeral_servers(home) == []
