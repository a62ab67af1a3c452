"""The staff page holds (issue 21 §4–5, first part): a NUL or other unstorable character in a path,
a query or an urlencoded form is refused with a Chinese message (400), never a 500 — on the
anonymous pages too; an oversized urlencoded form is refused (413); every response carries the
security headers (a CSP without inline script on pages, no framing of pages, nosniff, no server
name); `/persons/lookup` takes only an object with an ID number and answers from the clerk's own
station's applications."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from onematter.case.models import StaffUser
from tests.test_stations import CENTRE, ZHAPU
from tests.test_web import PASSWORD, _csrf, _login


@pytest.fixture
def clients(session):
    from onematter.case.accounts import add_user
    from onematter.web.app import create_app
    add_user(session, username="wangjue", name="王珏", role="window", station=CENTRE, password=PASSWORD)
    add_user(session, username="zhapu", name="陈乍浦", role="window", station=ZHAPU, password=PASSWORD)
    session.commit()
    out = {}
    for user in ("wangjue", "zhapu"):
        c = TestClient(create_app())
        assert _login(c, user).status_code == 303
        out[user] = c
    out["anonymous"] = TestClient(create_app())
    return out


@pytest.mark.parametrize("url", ["/verify?no=PHYJS%00-1&code=x", "/applications?q=%00", "/login?next=/%00",
                                 "/track?no=%01", "/rate?no=a%00b"])
def test_nul_in_a_query_is_a_clear_400(clients, url):
    for who in ("anonymous", "wangjue"):
        r = clients[who].get(url)
        assert r.status_code == 400 and "无法识别的字符" in r.text, (who, url, r.status_code)
        assert clients[who].get("/login").status_code == 200                  # and the next request works


def test_nul_in_a_form_is_refused_before_anything_is_stored(clients, session):
    anon = clients["anonymous"]
    token = _csrf(anon.get("/login").text)
    r = anon.post("/login", data={"username": "wang\x00jue", "password": "x", "csrf_token": token})
    assert r.status_code == 400 and "无法识别的字符" in r.text
    c = clients["wangjue"]
    token = _csrf(c.get("/tasks").text)
    r = c.post("/tasks/00000000", data={"csrf_token": token, "result": "done", "note": "备\x00注"})
    assert r.status_code == 400
    session.rollback()
    assert session.exec(select(func.count()).select_from(StaffUser)).one() == 2
    big = c.post("/applications/X/comments", data={"csrf_token": token, "comment": "长" * 100_000})
    assert big.status_code == 413 and "提交的内容过大" in big.text


def test_every_response_carries_the_security_headers(clients):
    page = clients["anonymous"].get("/login")
    h = page.headers
    assert "script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin" and h["cache-control"] == "no-store" and "server" not in h
    css = clients["anonymous"].get("/static/app.css").headers
    assert css["x-content-type-options"] == "nosniff" and css["x-frame-options"] == "SAMEORIGIN"
    assert "content-security-policy" not in css
    assert "<script>" not in clients["wangjue"].get("/applications/new").text                 # no inline script


def test_person_lookup_is_validated_and_station_scoped(clients, session, catalogue, form):
    from onematter.casework.applications import submit_application
    from onematter.casework.intake import parse_intake
    submit_application(session, parse_intake(form), actor="t")              # taken at the centre
    session.commit()
    number = form["applicant"]["id_number"]
    for who in ("wangjue", "zhapu"):
        c = clients[who]
        headers = {"x-csrf-token": _csrf(c.get("/applications/new").text)}
        for bad in ([number], {"id_number": 5}, {"id_number": "1234"}):
            r = c.post("/persons/lookup", json=bad, headers=headers)
            assert r.status_code == 400 and "error" in r.json(), (who, bad)
        broken = c.post("/persons/lookup", content=b"{not json", headers=headers | {"content-type": "application/json"})
        assert broken.status_code == 400
        found = c.post("/persons/lookup", json={"id_number": number}, headers=headers).json()
        assert found["found"] == (who == "wangjue"), who                     # another station's: as if none
        if not found["found"]:
            assert number not in str(found) and form["applicant"]["mobile"] not in str(found)


def _cookie(c: TestClient) -> str:
    return c.cookies.get("onematter_session")


def test_sign_out_ends_every_copy_of_the_session_and_a_planted_cookie_is_worth_nothing(clients, session):
    from onematter.case.models import WebSession
    from onematter.web.app import create_app
    victim = TestClient(create_app())
    planted = (victim.get("/login"), _cookie(victim))[1]                       # what an attacker could know
    assert _login(victim, "wangjue").status_code == 303
    assert _cookie(victim) != planted
    attacker = TestClient(create_app())
    attacker.cookies.set("onematter_session", planted)
    assert attacker.get("/applications", follow_redirects=False).status_code == 303       # to /login
    captured = _cookie(victim)
    token = _csrf(victim.get("/applications/new").text)
    assert victim.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    replay = TestClient(create_app())
    replay.cookies.set("onematter_session", captured)
    r = replay.get("/applications", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    session.rollback()
    ended = session.exec(select(WebSession).where(WebSession.username == "wangjue",
                                                  WebSession.ended_at.is_not(None))).all()
    assert [e.ended_why for e in ended] == ["logout"]


def test_the_idle_timeout_runs_from_the_last_request(clients, session):
    import datetime as dt

    from onematter.case.models import WebSession
    from onematter.config.settings import local, now
    c = clients["zhapu"]
    assert c.get("/applications").status_code == 200
    session.rollback()
    row = session.exec(select(WebSession).where(WebSession.username == "zhapu")).one()
    row.created_at = now() - dt.timedelta(hours=3)                  # signed in long ago, busy since
    row.last_seen_at = now() - dt.timedelta(minutes=29)
    session.add(row)
    session.commit()
    assert c.get("/applications", follow_redirects=False).status_code == 200          # still at work: touched
    session.rollback()
    session.expire_all()
    row = session.exec(select(WebSession).where(WebSession.id == row.id)).one()
    assert now() - local(row.last_seen_at) < dt.timedelta(minutes=1)              # counted from this request
    row.last_seen_at = now() - dt.timedelta(minutes=31)
    session.add(row)
    session.commit()
    r = c.get("/applications", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    session.rollback()
    session.expire_all()
    assert session.exec(select(WebSession).where(WebSession.id == row.id)).one().ended_why == "idle"
