"""Stations (domain.md §1.2): the centre and the nine town stations are policy data; an account
belongs to a known one; a window clerk sees their own station's applications only — list, search,
case page, progress, print page, documents, scans, 补正, resume, tasks — and anything else is not
found (404, no hint that it exists); a supervisor sees every station."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from onematter.case.models import Document, MaterialFile, Rating, StaffTask
from onematter.casework.staff_tasks import RESULTS
from tests.conftest import make_id
from tests.test_web import PASSWORD, _csrf, _login

CENTRE, ZHAPU = "平湖市退役军人服务中心", "乍浦镇退役军人服务站"


@pytest.fixture
def stations(session, catalogue, scanned_form, monkeypatch):
    """A clerk at the centre, a clerk at 乍浦镇, a supervisor; one application taken at each
    station (processed, documents issued, scans stored), and a staff task for each station."""
    from onematter.case.accounts import add_user
    from onematter.casework import materials
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.issuing import issue_all
    from onematter.casework.processing import process_matter
    from onematter.config.db import session_scope
    from onematter.services import handover
    from onematter.services.applications import prepare
    from tests.conftest import REPO
    add_user(session, username="wangjue", name="王珏", role="window", station=CENTRE, password=PASSWORD)
    add_user(session, username="zhapu", name="陈乍浦", role="window", station=ZHAPU, password=PASSWORD)
    add_user(session, username="lik", name="李科长", role="supervisor", station=CENTRE, password=PASSWORD)
    session.commit()
    numbers = {}
    for station, key, seq in ((CENTRE, "centre-1", "171"), (ZHAPU, "zhapu-1", "181")):
        form = {**scanned_form, "idempotency_key": key, "staff": {"name": "王珏", "station": station},
                "applicant": {**scanned_form["applicant"], "id_number": make_id("19900909", seq=seq),
                              "name": "周" + station[:2]}}
        intake, checked = prepare(form, REPO / "examples")
        with session_scope() as s:
            app, _ = submit_application(s, intake, actor="t")
            materials.attach(s, app.id, checked, by="t")
            numbers[station] = app.application_no
            app_id = app.id
        with session_scope() as s:
            for case in matter_cases(s, app_id):
                process_matter(s, case.id)
            settle_application(s, s.get(type(app), app_id), actor="t")
        with session_scope() as s:
            issue_all(s, app_id)
            s.add(StaffTask(key=f"visit:{app_id}", kind="visit", title=f"回访 {station}", application_id=app_id,
                            station=station, subject={}, due_on=app.application_date, result={}))
            s.add(Rating(application_id=app_id, station=station, level=4))
    monkeypatch.setattr(handover, "hand_over", lambda **kw: None)
    return numbers


def _client(username: str) -> TestClient:
    from onematter.web.app import create_app
    c = TestClient(create_app())
    assert _login(c, username).status_code == 303
    return c


def _rows(html: str) -> list[str]:
    return re.findall(r'href="/applications/(PHYJS-[\d-]+)"', html)


def test_each_clerk_sees_their_own_station_only(stations, session):
    session.rollback()
    mine, theirs = stations[CENTRE], stations[ZHAPU]
    pdf = {no: next(d for d in session.exec(select(Document)).all() if d.document_no.startswith(no) and d.doc_key == "receipt")
           for no in (mine, theirs)}
    scan = {no: session.exec(select(MaterialFile).where(MaterialFile.application_id == pdf[no].application_id)).first()
            for no in (mine, theirs)}
    for user, visible in (("wangjue", {mine}), ("zhapu", {theirs}), ("lik", {mine, theirs})):
        c = _client(user)
        assert set(_rows(c.get("/applications").text)) == visible, user
        for no in (mine, theirs):
            seen = no in visible
            code = 200 if seen else 404
            assert set(_rows(c.get("/applications", params={"q": no}).text)) == ({no} if seen else set()), (user, no)
            assert c.get(f"/applications/{no}").status_code == code, (user, no)
            assert c.get(f"/applications/{no}/progress").status_code == code, (user, no)
            assert c.get(f"/applications/{no}/print").status_code == code, (user, no)
            assert c.get(f"/documents/{no}/{Path(pdf[no].path).name}").status_code == code, (user, no)
            assert c.get(f"/applications/{no}/materials/{scan[no].sha256}").status_code == code, (user, no)
            token = _csrf(c.get("/applications/new").text)
            upload = c.post(f"/applications/{no}/materials", data={"csrf_token": token, "item": "diploma"},
                            files={"materials.file": ("d.png", b"x", "image/png")}, follow_redirects=False)
            assert (upload.status_code == 404) == (not seen), (user, no, upload.status_code)
            resumed = c.post(f"/applications/{no}/resume", data={"csrf_token": token}, follow_redirects=False)
            assert resumed.status_code == (303 if seen else 404), (user, no)
            commented = c.post(f"/applications/{no}/comments", data={"csrf_token": token, "comment": f"{user} 看过"},
                               follow_redirects=False)
            assert commented.status_code == (303 if seen else 404), (user, no)
            assert _csv_numbers(c.get("/applications.csv", params={"q": no})) == ({no} if seen else set()), (user, no)
            if not seen:
                page = c.get(f"/applications/{no}").text
                assert "周" not in page and no not in page.replace(f"找不到联办申请 {no}", "")
        exported = c.get("/applications.csv")
        assert _csv_numbers(exported) == visible, user
        assert all(make_id("19900909", seq=seq) not in exported.text for seq in ("171", "181"))    # masked
        own = theirs if user == "zhapu" else mine           # the supervisor works at the centre
        assert set(_rows(c.get("/mine").text)) <= {own}, user           # open cases of one's own station only
        rated = c.get("/ratings").text
        assert set(re.findall(r'href="/applications/(PHYJS-[\d-]+)"', rated)) == visible, user
        tasks_csv = c.get("/tasks.csv", params={"station": "全部"}).text
        assert ("回访 " + ZHAPU in tasks_csv) == (user in ("zhapu", "lik")), user
        assert ("回访 " + CENTRE in tasks_csv) == (user in ("wangjue", "lik")), user
        tasks = c.get("/tasks", params={"station": "全部"}).text
        assert ("回访 " + ZHAPU in tasks) == (user in ("zhapu", "lik")), user
        assert ("回访 " + CENTRE in tasks) == (user in ("wangjue", "lik")), user
        stations_offered = re.findall(r'<option value="([^"]+)"', c.get("/applications").text)
        if user == "zhapu":
            assert CENTRE not in stations_offered


def _csv_numbers(response) -> set[str]:
    import csv
    import io
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {r["申请编号"] for r in rows}


def test_another_stations_task_cannot_be_recorded_by_a_clerk(stations, session):
    session.rollback()
    task = session.exec(select(StaffTask).where(StaffTask.station == CENTRE)).one()
    c = _client("zhapu")
    token = _csrf(c.get("/tasks").text)
    done = c.post(f"/tasks/{task.id}", data={"csrf_token": token, "result": next(iter(RESULTS["visit"]))}, follow_redirects=False)
    assert done.status_code == 409 and "找不到待办" in done.text
    session.rollback()
    assert session.get(StaffTask, task.id).status == "open"


def test_an_account_belongs_to_a_known_station(session):
    from onematter.case.accounts import AccountError, add_user
    with pytest.raises(AccountError) as refused:
        add_user(session, username="x1", name="某", role="window", station="火星退役军人服务站", password=PASSWORD)
    assert refused.value.field == "station" and "乍浦镇退役军人服务站" in str(refused.value)
    add_user(session, username="x2", name="某", role="window", station=ZHAPU, password=PASSWORD)
