"""保存期限 (domain.md §1.5; issue 21 §3), on SQLite and PostgreSQL: with today 2026-11-30 and a
retention of 10 years, a person whose last application closed 11 years back is anonymised and one
9 years back is not; the dry run lists the first and changes nothing; the real run reduces the
name to 某, erases the numbers (the ID no longer finds anyone), deletes the scans, archives the
documents out of service; the monthly statistics of those months are unchanged; a second run has
nothing to do."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from PIL import Image
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from onematter.case.models import Application, Document, MaterialFile, Person
from tests.test_at_rest import IDS, _stored_bytes
from tests.test_stations import CENTRE, ZHAPU, stations  # noqa: F401 — the fixture

BACK = {CENTRE: (dt.date(2015, 11, 2), "2015-11-20 10:00:00+08:00"),      # 11 years back: due
        ZHAPU: (dt.date(2017, 11, 2), "2017-11-20 10:00:00+08:00")}       # 9 years back: kept


def _age(session, stations) -> None:
    """Both applications closed long ago (their dates moved back, as if taken then)."""
    for station, (taken, closed) in BACK.items():
        session.execute(text("UPDATE applications SET status = 'completed', open_person_id = NULL, "
                             "application_date = :taken, completed_at = :closed WHERE application_no = :no"),
                        {"taken": taken, "closed": dt.datetime.fromisoformat(closed), "no": stations[station]})
    session.commit()


def test_retention_anonymises_who_is_due_and_keeps_the_statistics(stations, session, db, scanned_form):
    from onematter.casework.report import figures
    from onematter.cli import app as cli
    from onematter.services import queries
    session.rollback()
    _age(session, stations)
    old_app = session.exec(select(Application).where(Application.application_no == stations[CENTRE])).one()
    kept_app = session.exec(select(Application).where(Application.application_no == stations[ZHAPU])).one()
    docs = session.exec(select(Document).where(Document.application_id == old_app.id)).all()
    from onematter.casework import materials
    from onematter.casework.materials import path_of
    image = io.BytesIO()
    Image.new("RGB", (1240, 1754), (250, 250, 245)).save(image, "PNG")      # a scan only this one presented
    materials.attach(session, old_app.id, materials.check({"signed_form": [("own.png", image.getvalue())]}), by="t")
    session.commit()
    scans = [(f.sha256, path_of(f)) for f in
             session.exec(select(MaterialFile).where(MaterialFile.application_id == old_app.id)).all()]
    assert docs and scans and all(Path(d.path).is_file() for d in docs)
    before = {m: figures(session, dt.date(y, m, 1)) for y, m in ((2015, 11), (2017, 11))}
    session.rollback()
    runner = CliRunner()

    # the dry run: who would go, nothing changed
    out = runner.invoke(cli, ["retention", "run", "--day", "2026-11-30", "--dry-run", "--json"])
    assert out.exit_code == 0, out.output
    plan = json.loads(out.stdout)
    assert plan["dry_run"] and plan["cutoff"] == "2016-11-30" and plan["persons"] == 1
    assert plan["items"][0]["applications"] == [stations[CENTRE]] and plan["items"][0]["last_closed"] == "2015-11-20"
    assert plan["items"][0]["documents"] == len(docs) and plan["items"][0]["materials"] == len(scans)
    assert IDS[0] not in out.stdout and plan["items"][0]["id_masked"] == "330482********" + IDS[0][-4:]
    human = runner.invoke(cli, ["retention", "run", "--day", "2026-11-30", "--dry-run"])
    assert "将匿名化 1 人" in human.stdout and "未做任何改动" in human.stdout
    session.rollback()
    assert session.get(Person, old_app.person_id).id_number == IDS[0]
    assert all(Path(d.path).is_file() for d in docs)

    # the run
    out = runner.invoke(cli, ["retention", "run", "--day", "2026-11-30", "--json"])
    assert out.exit_code == 0, out.output
    done = json.loads(out.stdout)["done"]
    assert done["anonymised"] == 1 and done["documents_archived"] == len(docs) and done["documents_deleted"] == 0
    session.rollback()
    gone = session.get(Person, old_app.person_id)
    assert gone.name == "周某" and gone.id_number is None and gone.mobile is None and gone.id_hash is None
    assert gone.id_masked is None and gone.mobile_hash is None and gone.anonymised_on == dt.date(2026, 11, 30)
    assert gone.birth_date == dt.date(1990, 1, 1)
    form = session.get(Application, old_app.id).form
    assert form["applicant"] == {"name": "周某", **{k: scanned_form["applicant"][k] for k in
                                                    ("category", "placement", "education", "town")}}
    assert "materials" not in form
    for d in session.exec(select(Document).where(Document.application_id == old_app.id)).all():
        assert d.disposed == "archived" and d.context == {} and Path(d.path).is_file()
        assert "/archive/" in d.path and not (Path(d.path).parents[2] / "documents").joinpath(
            stations[CENTRE], Path(d.path).name).exists()
    assert not session.exec(select(MaterialFile).where(MaterialFile.application_id == old_app.id)).all()
    # the other application presented the same sample scans: its files stay, the rest are gone
    still = {f.sha256 for f in session.exec(select(MaterialFile)).all()}
    assert still and any(sha not in still for sha, _ in scans)
    for sha, path in scans:
        assert path.exists() == (sha in still)
    assert IDS[0].encode() not in _stored_bytes(db)
    assert [r["no"] for r in queries.list_rows(session, {"q": IDS[0]})] == []
    assert [r["no"] for r in queries.list_rows(session, {"q": "周某"})] == [stations[CENTRE]]

    # the one 9 years back is untouched
    kept = session.get(Person, kept_app.person_id)
    assert kept.id_number == IDS[1] and kept.anonymised_on is None and kept.name.startswith("周乍")
    assert all(Path(d.path).is_file() and not d.disposed for d in
               session.exec(select(Document).where(Document.application_id == kept_app.id)).all())

    # the statistics of those months count as before; the case page still opens; nothing more to do
    assert {m: figures(session, dt.date(y, m, 1)) for y, m in ((2015, 11), (2017, 11))} == before
    case = queries.case_context(session, application_no=stations[CENTRE])
    assert case["person"] == {"name": "周某", "id_masked": "已匿名化"} and case["packet"] is None
    assert {d["disposed"] for d in case["documents"]} == {"已归档（保存期限届满）"}
    from tests.test_stations import _client
    page = _client("lik").get(f"/applications/{stations[CENTRE]}")
    assert page.status_code == 200 and "周某" in page.text and "已归档（保存期限届满）" in page.text
    assert "None" not in page.text and f"/documents/{stations[CENTRE]}/" not in page.text
    for notice in ("本申请的文书已于2026年11月30日移出在线服务、归入档案", "不再登记送达", "扫描件已于2026年11月30日按保存期限删除",
                   "系统（保存期限）", "保存期限（10年）届满：个人信息已匿名化，文书已归档"):
        assert notice in page.text, notice
    assert 'id="handover-button"' not in page.text and "未提交" not in page.text and "文书正在出具" not in page.text
    session.rollback()
    again = json.loads(runner.invoke(cli, ["retention", "run", "--day", "2026-11-30", "--json"]).stdout)
    assert again["persons"] == 0 and again["done"]["anonymised"] == 0


def test_documents_deleted_when_the_policy_says_and_a_loan_keeps_the_hash(stations, session, db, tmp_path,
                                                                          monkeypatch):
    import yaml

    from onematter.casework.retention import anonymous_name
    from onematter.cli import app as cli
    from onematter.policy import DEFAULT_POLICY_FILE as POLICY_FILE
    from tests.conftest import _clear_caches
    session.rollback()
    _age(session, stations)
    policy = yaml.safe_load(Path(POLICY_FILE).read_text(encoding="utf-8"))
    policy["retention"] = {"years": 10, "documents": "delete", "keep_id_hash_for": ["employer_incentive"]}
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ONEMATTER_POLICY_FILE", str(tmp_path / "policy.yaml"))
    old = session.exec(select(Application).where(Application.application_no == stations[CENTRE])).one()
    from sqlalchemy import update

    from onematter.case.models import MatterCase
    session.execute(update(MatterCase).where(MatterCase.application_id == old.id,
                                             MatterCase.matter == "employer_incentive").values(status="approved"))
    session.commit()
    _clear_caches()
    paths = [Path(d.path) for d in session.exec(select(Document).where(Document.application_id == old.id)).all()]
    out = CliRunner().invoke(cli, ["retention", "run", "--json"])          # today: ONEMATTER_TODAY
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["items"][0]["keeps_id_hash"] and result["done"]["documents_deleted"] == len(paths)
    assert not any(p.exists() for p in paths)
    session.rollback()
    person = session.get(Person, old.person_id)
    assert person.id_number is None and person.id_hash is not None          # a lifetime rule can still count
    from onematter.case.people import person_by_id_number
    assert person_by_id_number(session, IDS[0]).id == person.id
    assert anonymous_name("欧阳娜娜") == "欧阳某" and anonymous_name("王珏") == "王某"


def test_the_scheduled_flow_runs_it_and_its_artifact_holds_counts_only(prefect, stations, session):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from onematter.flows.followups import retention
    session.rollback()
    _age(session, stations)
    assert asyncio.run(retention(day="2026-11-30")) == {"day": "2026-11-30", "anonymised": 1}

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["retention"])))
    table = asyncio.run(artifacts())[0]
    rows = {r["项目"]: r["数值"] for r in json.loads(table.data)} if isinstance(table.data, str) else \
        {r["项目"]: r["数值"] for r in table.data}
    assert rows["到期匿名化（人）"] == 1 and rows["涉及申请（件）"] == 1
    assert not any(n in str(table.data) for n in (*IDS, "周", stations[CENTRE]))
