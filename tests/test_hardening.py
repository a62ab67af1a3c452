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


def test_the_public_pages_hold_each_client_to_a_rate(clients):
    anon = clients["anonymous"]
    token = _csrf(anon.get("/track").text)
    asked = [anon.post("/track", data={"no": f"PHYJS-20261201-{n:04d}-02", "code": "X", "id_last4": "1234",
                                       "csrf_token": token}) for n in range(21)]
    assert [r.status_code for r in asked[:20]] == [403] * 20          # wrong answers, each told so
    assert asked[20].status_code == 429 and "尝试过于频繁，请" in asked[20].text
    assert 1 <= int(asked[20].headers["retry-after"]) <= 60
    other = TestClient(anon.app, client=("10.1.1.1", 50000))        # another address: its own count
    assert other.post("/track", data={"no": "X", "code": "X", "id_last4": "1", "csrf_token": _csrf(other.get("/track").text)}
                      ).status_code == 403
    checks = [anon.get(f"/verify?no=PHYJS-20261201-{n:04d}-02&code=X").status_code for n in range(31)]
    assert checks[:30] == [200] * 30 and checks[30] == 429
    assert anon.get("/verify").status_code == 200                      # the bare page is not counted


def _bomb() -> bytes:
    """A 1-page PDF whose content stream is a few hundred KB on disk and ~70 MB once inflated."""
    import zlib
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (PHYJS) Tj ET\n" * 1_900_000, 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_pdf_bomb_on_verify_never_holds_up_the_server(db, session):
    import threading
    import time

    import httpx
    import uvicorn

    from onematter.runtime.serve import free_port
    from onematter.web.app import create_app
    bomb = _bomb()
    assert len(bomb) < 400_000
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as anon:
            assert anon.get("/verify").status_code == 200
            answer: dict = {}

            def upload():
                t0 = time.monotonic()
                answer["response"] = anon.post("/verify", files={"file": ("bomb.pdf", bomb, "application/pdf")})
                answer["seconds"] = time.monotonic() - t0
            worker = threading.Thread(target=upload)
            worker.start()
            time.sleep(0.5)
            health = []
            with httpx.Client(base_url=base, timeout=5) as other:
                while worker.is_alive() and len(health) < 20:
                    t0 = time.monotonic()
                    assert other.get("/health").status_code == 200
                    health.append(time.monotonic() - t0)
                    time.sleep(0.2)
            worker.join(30)
        assert health and max(health) < 1.0, health
        r = answer["response"]
        assert r.status_code == 200 and "未找到该文件的登记记录" in r.text
        assert answer["seconds"] < 8, answer["seconds"]                   # the limit (5 s) stopped the reading
    finally:
        server.should_exit = True


def test_the_data_directory_is_its_users_alone(env, tmp_path):
    """The SQLite file, the documents, the scans, Prefect's home: 0600 files in 0700 directories,
    for a new data dir; `init-db` tightens one an earlier version left readable (0644/0755)."""
    import os
    import stat
    import subprocess
    import sys

    from tests.conftest import REPO
    data = tmp_path / "data"
    old = data / "documents" / "OLD-1"
    old.mkdir(parents=True)
    (old / "receipt.pdf").write_bytes(b"%PDF-1.7")
    os.chmod(data, 0o755)
    os.chmod(old, 0o755)
    os.chmod(old / "receipt.pdf", 0o644)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"ONEMATTER_DATA_DIR": str(data)}
    environ.pop("ONEMATTER_DATABASE_URL", None)
    for args in (["init-db"], ["catalog", "sample", str(tmp_path / "catalogue.yaml")],
                 ["catalog", "import", str(tmp_path / "catalogue.yaml")],
                 ["apply", str(REPO / "examples" / "application.yaml"), "--json"]):
        done = subprocess.run([sys.executable, "-m", "onematter.cli", *args], cwd=REPO, env=environ,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    loose = [(str(p.relative_to(data)), oct(stat.S_IMODE(p.stat().st_mode))) for p in [data, *data.rglob("*")]
             if not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == [], loose[:10]
    kinds = {p.suffix for p in data.rglob("*") if p.is_file()}
    assert {".db", ".pdf"} <= kinds, kinds
