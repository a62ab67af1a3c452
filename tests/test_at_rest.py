"""Encryption at rest (domain.md §1.5; issue 21 §1), on SQLite and PostgreSQL: after applications
with their documents, scans and messages, the database file's bytes (and its WAL) and a pg_dump
hold no full ID or mobile number; a full ID, a mobile number and the last four still find the
person; one person stays one person; `onematter keys rotate` re-seals every row (resumably) and the
old key is refused afterwards; an existing database is sealed in place by its migration; the key
file is made 0600 on the embedded default, and the served stack refuses to start without one."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlmodel import select
from typer.testing import CliRunner

from onematter.case.models import Application, Document, Person
from tests.conftest import make_id
from tests.test_migrations import empty_database  # noqa: F401 — the fixture
from tests.test_stations import CENTRE, ZHAPU, stations  # noqa: F401 — the fixture

IDS = [make_id("19900909", seq="171"), make_id("19900909", seq="181")]


def _numbers(form) -> list[bytes]:
    return [n.encode() for n in (*IDS, form["applicant"]["mobile"])]


def _stored_bytes(url: str) -> bytes:
    """Everything the database keeps: the SQLite file and its WAL, or PostgreSQL's pg_dump."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return subprocess.run(["pg_dump", "--data-only", url], capture_output=True, check=True, timeout=120).stdout


def test_no_full_number_is_stored_yet_each_finds_its_person(stations, session, db, scanned_form):
    from onematter.case.lifecycle import OpenApplicationExists
    from onematter.casework.applications import submit_application
    from onematter.config.db import session_scope
    from onematter.services import queries
    from onematter.services.applications import prepare
    from tests.conftest import REPO
    session.rollback()
    stored = _stored_bytes(db)
    for number in _numbers(scanned_form):
        assert number not in stored, number
    assert ("330482********" + IDS[0][-4:]).encode() in stored      # the masked ID is kept plain (lists, search)

    # the documents and the forms read back whole, through the key
    doc = session.exec(select(Document).where(Document.doc_key == "form")).first()
    assert IDS[0] in json.dumps(doc.context, ensure_ascii=False) or IDS[1] in json.dumps(doc.context, ensure_ascii=False)
    form = session.exec(select(Application).where(Application.application_no == stations[CENTRE])).one().form
    assert form["applicant"]["id_number"] == IDS[0]

    # look-ups: a full ID (as a card reader gives it), a mobile number, the last four
    def found(q):
        return sorted(r["no"] for r in queries.list_rows(session, {"q": q}))
    assert found(IDS[1]) == [stations[ZHAPU]]
    assert found(IDS[1].lower()) == [stations[ZHAPU]]
    assert found(scanned_form["applicant"]["mobile"]) == sorted(stations.values())
    assert found(IDS[0][-4:]) == [stations[CENTRE]]
    assert queries.person_lookup(session, id_number=IDS[0])["found"]

    # the same ID again is the same person: its open application still refuses a second one
    again = {**scanned_form, "idempotency_key": "centre-again", "staff": {"name": "王珏", "station": CENTRE},
             "applicant": {**scanned_form["applicant"], "id_number": IDS[0], "name": "周平湖"}}
    again.pop("materials")
    intake, _ = prepare(again, REPO / "examples")
    with pytest.raises(OpenApplicationExists):
        with session_scope() as s:
            submit_application(s, intake, actor="t")
    assert len(session.exec(select(Person)).all()) == 2
    # once it is closed, the next application of that ID is the same person's
    first = session.exec(select(Application).where(Application.application_no == stations[CENTRE])).one()
    session.execute(update(Application).where(Application.id == first.id).values(status="completed",
                                                                                 open_person_id=None))
    session.commit()
    with session_scope() as s:
        second, _ = submit_application(s, intake, actor="t")
        assert second.person_id == first.person_id and second.application_no != stations[CENTRE]
    session.rollback()
    assert len(session.exec(select(Person)).all()) == 2
    assert session.get(Person, first.person_id).name == "周平湖"          # the newer form's details


def _raw(session, sql: str) -> list:
    return session.execute(text(sql)).all()


def test_keys_rotate_reseals_every_row_resumably_and_the_old_key_is_refused(stations, session, db, tmp_path,
                                                                             monkeypatch, scanned_form):
    from onematter.cli import app as cli
    from onematter.config.crypto import keyring
    from onematter.services import keys
    session.rollback()
    old_file = Path(keyring().path)
    key_file = tmp_path / "bureau.key"                  # the session's key file is never rotated
    shutil.copy(old_file, key_file)
    monkeypatch.setenv("ONEMATTER_DATA_KEY_FILE", str(key_file))
    from tests.conftest import _clear_caches
    _clear_caches()
    runner = CliRunner()
    assert runner.invoke(cli, ["init-db"]).exit_code == 0           # records the key
    old_id = keyring().current.id

    # interrupted after its first batch: the new key is first in the file, both open every row
    class Stop(Exception):
        pass

    def stop_after_first(p):
        raise Stop
    with pytest.raises(Stop):
        keys.rotate(batch=1, echo=stop_after_first)
    ring = keyring()
    assert [k.id for k in ring.keys][1:] == [old_id]
    new_id = ring.current.id
    half = [r[0].split(":")[0] for r in _raw(session, "SELECT id_cipher FROM persons")]
    assert sorted(half) == sorted([new_id, old_id])
    session.rollback()
    assert len(runner.invoke(cli, ["list"]).stdout.strip().splitlines()) == 2     # both read meanwhile

    out = runner.invoke(cli, ["keys", "rotate", "--batch", "3", "--json"])       # goes on from there
    assert out.exit_code == 0, out.output
    done = json.loads(out.stdout)
    assert done["key_id"] == new_id and done["retired"] == [old_id] and done["rows"] > 10
    session.rollback()
    for sql in ("SELECT id_cipher FROM persons", "SELECT mobile_cipher FROM persons",
                "SELECT CAST(form AS TEXT) FROM applications", "SELECT CAST(context AS TEXT) FROM documents",
                "SELECT CAST(payload AS TEXT) FROM notifications"):
        assert {r[0].strip('"').split(":")[0] for r in _raw(session, sql)} <= {new_id}, sql
    assert [k.id for k in keyring().keys] == [new_id]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    shown = json.loads(runner.invoke(cli, ["keys", "show", "--json"]).stdout)
    assert shown["retired"] == [old_id] and not any(shown["rows_under_other_keys"].values())

    # the rows read, the look-ups find, under the new key
    listed = runner.invoke(cli, ["list", "--json"])
    assert listed.exit_code == 0 and {a["application_no"] for a in json.loads(listed.stdout)} == set(stations.values())
    from onematter.services import queries
    session.rollback()
    assert [r["no"] for r in queries.list_rows(session, {"q": IDS[1]})] == [stations[ZHAPU]]

    # the old key file (a backup, a stolen copy) is refused from now on, for reading and writing
    monkeypatch.setenv("ONEMATTER_DATA_KEY_FILE", str(old_file))
    _clear_caches()
    for command in (["list", "--json"], ["init-db"]):
        refused = runner.invoke(cli, command)
        assert refused.exit_code == 1, command
        assert f"密钥 {old_id} 已于" in refused.output and "轮换停用" in refused.output


def test_a_database_from_before_is_sealed_in_place(empty_database):
    """A database at migration 0014 with numbers in the clear: `init-db` seals them (and the
    forms), compacts it so the old bytes are gone (SQLite VACUUM, PostgreSQL VACUUM FULL), and
    the person is found by the number."""
    import uuid

    from alembic import command
    from sqlmodel import Session

    from onematter.case.people import person_by_id_number
    from onematter.config.db import alembic_config, engine_for, init_db
    engine = engine_for(empty_database)
    command.upgrade(alembic_config(engine), "0014")
    person, app_id = uuid.uuid4(), uuid.uuid4()
    as_key = (lambda u: u.hex) if engine.dialect.name == "sqlite" else str
    number, mobile = make_id("19800101", seq="333"), "13800001111"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO persons (id, id_number, name, mobile, birth_date, sex, created_at) "
                          "VALUES (:id, :n, '吴旧', :m, '1980-01-01', '男', '2020-01-01 00:00:00')"),
                     {"id": as_key(person), "n": number, "m": mobile})
        conn.execute(text(
            "INSERT INTO applications (id, application_no, idempotency_key, person_id, status, application_date, "
            "deadline, town, staff_name, station, policy_version, form, materials_tracked, submitted_at) VALUES "
            "(:id, 'PHYJS-20200101-0001', 'old-1', :p, 'completed', '2020-01-01', '2020-01-15', '当湖街道', '王珏', "
            "'平湖市退役军人服务中心', '2020.1', :form, false, '2020-01-01 00:00:00')"),
            {"id": as_key(app_id), "p": as_key(person),
             "form": json.dumps({"applicant": {"id_number": number, "mobile": mobile}})})
    assert number.encode() in _stored_bytes(empty_database)                     # in the clear, before
    init_db(engine)
    stored = _stored_bytes(empty_database)
    assert number.encode() not in stored and mobile.encode() not in stored
    with Session(engine) as s:
        found = person_by_id_number(s, number)
        assert found.id == person and found.mobile == mobile and found.id_masked == "330482********" + number[-4:]
        assert s.get(Application, app_id).form == {"applicant": {"id_number": number, "mobile": mobile}}
    engine.dispose()


def test_the_key_file_is_made_private_on_the_embedded_default_and_serve_needs_one(env, monkeypatch):
    from onematter.cli import app as cli
    from tests.conftest import _clear_caches
    monkeypatch.delenv("ONEMATTER_DATA_KEY_FILE")
    _clear_caches()
    runner = CliRunner()
    made = runner.invoke(cli, ["init-db"])
    assert made.exit_code == 0, made.output
    key = env / "data" / "data.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and "已生成数据密钥文件" in made.output
    first = key.read_bytes()
    assert runner.invoke(cli, ["init-db"]).exit_code == 0 and key.read_bytes() == first      # kept, not made again

    # the database has recorded its key: without the file, nothing opens and nothing new is made
    key.rename(env / "elsewhere.key")
    refused = runner.invoke(cli, ["init-db"])
    assert refused.exit_code == 1 and "请从备份中恢复该文件" in refused.output and not key.exists()

    # the served stack never makes one: it says how
    monkeypatch.setenv("ONEMATTER_DATA_KEY_FILE", str(env / "missing.key"))
    _clear_caches()
    served = runner.invoke(cli, ["serve"])
    assert served.exit_code == 1 and "服务未启动" in served.output and "onematter keys init" in served.output
    made = runner.invoke(cli, ["keys", "init", "--json"])
    assert made.exit_code == 0 and json.loads(made.stdout)["path"] == str(env / "missing.key")
    assert runner.invoke(cli, ["keys", "init"]).exit_code == 1                     # never over one
