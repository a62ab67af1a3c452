"""查询留痕 (domain.md §1.5; issue 21 §2): every display of a person's unmasked data or of a
document on the staff page — the case page, the print page, a document, a scan, an export, a
returning person's lookup — writes one row (account, station, person, application, item, how);
the progress polls and the masked lists do not; `onematter audit person ID --json` lists them for
the person; the database refuses to change or delete a row, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from onematter.case.models import AccessLog, Document, MaterialFile
from tests.test_stations import CENTRE, ZHAPU, _client, stations  # noqa: F401 — the fixture


def test_each_unmasked_view_is_recorded_and_the_person_can_be_told(stations, session):
    session.rollback()
    mine, theirs = stations[CENTRE], stations[ZHAPU]
    receipt = session.exec(select(Document).where(Document.document_no == f"{mine}-02")).one()
    scan = session.exec(select(MaterialFile).where(MaterialFile.application_id == receipt.application_id)).first()
    c = _client("wangjue")
    assert c.get(f"/applications/{mine}").status_code == 200
    for _ in range(3):
        assert c.get(f"/applications/{mine}/progress").status_code == 200           # polls: not logged
    assert c.get("/applications").status_code == 200                                 # a masked list: not logged
    assert c.get(f"/applications/{mine}/print").status_code == 200
    assert c.get(f"/documents/{mine}/{Path(receipt.path).name}", params={"download": 1}).status_code == 200
    assert c.get(f"/applications/{mine}/materials/{scan.sha256}").status_code == 200
    assert c.get("/applications.csv", params={"station": CENTRE}).status_code == 200
    assert c.get(f"/applications/{theirs}").status_code == 404                      # not shown: not logged
    session.rollback()
    rows = session.exec(select(AccessLog).order_by(AccessLog.id)).all()
    assert [r.what for r in rows] == ["case", "print", "document", "material", "export"]
    assert {(r.account, r.station) for r in rows} == {("web:wangjue", CENTRE)}
    assert all(r.application_id == receipt.application_id for r in rows[:4]) and rows[4].application_id is None
    assert rows[2].item == Path(receipt.path).name and rows[2].how.endswith("?download=1")
    assert rows[4].how.startswith("GET /applications.csv?station=") and rows[4].item == "1 行"

    from typer.testing import CliRunner
    from onematter.case.models import Application, Person
    from onematter.cli import app as cli
    person = session.get(Person, session.get(Application, receipt.application_id).person_id)
    out = CliRunner().invoke(cli, ["audit", "person", person.id_number, "--json"])
    assert out.exit_code == 0, out.stdout
    told = json.loads(out.stdout)
    assert [r["what"] for r in told["rows"]] == ["case", "print", "document", "material"]
    from onematter.policy import load_policy
    name = next(m.name for m in load_policy().materials if m.key == scan.item)
    assert told["rows"][3]["item"] == f"{name}（{scan.sha256[:8]}）"           # the material by its name
    assert {r["application_no"] for r in told["rows"]} == {mine} and told["person"]["id_masked"].endswith(person.id_number[-4:])
    assert person.id_number not in out.stdout


def test_the_log_cannot_be_changed_or_deleted(stations, session):
    session.rollback()
    c = _client("lik")
    assert c.get(f"/applications/{stations[ZHAPU]}").status_code == 200
    session.rollback()
    (row,) = session.exec(select(AccessLog)).all()
    assert (row.account, row.station, row.what) == ("web:lik", CENTRE, "case")
    for statement in ("UPDATE access_log SET account = 'x'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert session.exec(select(AccessLog)).one().account == "web:lik"


def test_supervisors_see_filter_and_export_the_log_and_print_it_for_a_veteran(stations, session):
    import re

    from onematter.case.models import Application, Person
    from tests.test_web import _csrf
    session.rollback()
    mine, theirs = stations[CENTRE], stations[ZHAPU]
    clerk, boss = _client("wangjue"), _client("lik")
    assert clerk.get(f"/applications/{mine}").status_code == 200
    assert boss.get(f"/applications/{theirs}").status_code == 200
    assert clerk.get("/audit").status_code == 403 and clerk.get("/audit.csv").status_code == 403   # supervisors only

    page = boss.get("/audit")
    assert page.status_code == 200 and "共 2 条" in page.text and 'href="/audit"' in page.text
    person = session.get(Person, session.exec(select(Application).where(Application.application_no == mine)).one().person_id)
    assert person.id_number not in page.text and person.id_number[-4:] in page.text          # masked, as on lists
    only = boss.get("/audit", params={"account": "web:wangjue"})
    assert "共 1 条" in only.text and mine in only.text and theirs not in only.text
    bad = boss.get("/audit", params={"since": "2026-13-01"})
    assert bad.status_code == 422 and "开始日期应为日期" in bad.text

    csv = boss.get("/audit.csv", params={"account": "web:wangjue"})
    assert csv.status_code == 200 and csv.content.startswith("\ufeff时间,账号,网点,操作,申请人".encode())
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "web:wangjue" in lines[1] and "查看办件" in lines[1] and person.id_number not in lines[1]

    # the veteran asks who has seen their data: by POST (the number stays out of the URL), printable
    form = boss.get("/audit/person")
    assert 'name="id_number"' in form.text
    wrong = boss.post("/audit/person", data={"csrf_token": _csrf(form.text), "id_number": "3304"})
    assert wrong.status_code == 422 and 'data-error-for="id_number"' in wrong.text
    told = boss.post("/audit/person", data={"csrf_token": _csrf(form.text), "id_number": person.id_number})
    assert told.status_code == 200 and "个人信息查阅记录" in told.text and "第四十五条" in told.text
    rows = re.findall(r"<tr><td class=\"nowrap\">[^<]+</td><td class=\"mono\">([^<]+)</td>", told.text)
    assert rows == ["web:wangjue"], rows
    assert boss.post("/audit/person", data={"id_number": person.id_number}).status_code == 400   # no CSRF token
    session.rollback()
    logged = session.exec(select(AccessLog).order_by(AccessLog.id)).all()
    assert [r.what for r in logged] == ["case", "case", "audit", "audit"]                    # the export, the print-out
    assert logged[2].item == "1 行" and logged[3].person_id == person.id and logged[3].how == "POST /audit/person"
    assert all(person.id_number not in (r.how or "") for r in logged)
