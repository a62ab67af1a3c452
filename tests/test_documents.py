"""Documents: text read back, fonts embedded, determinism, the fetcher, glyphs, escaping, verify."""

import asyncio
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlmodel import select

from onematter.documents import render as docs
from onematter.documents import seal
from onematter.casework.applications import submit_application
from onematter.config.db import session_scope
from onematter.casework.intake import parse_intake
from onematter.casework.issuing import issue_all
from onematter.case.models import Document
from onematter.documents.verification import verify_pdf


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            f = font.get_object()
            names.add(str(f["/BaseFont"]))
            for d in f.get("/DescendantFonts", []):
                names.add(str(d.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def issued(session, catalogue, form):
    app, _ = submit_application(session, parse_intake(form), actor="t")
    from onematter.casework.applications import matter_cases, settle_application
    from onematter.casework.processing import process_matter
    with session_scope() as s:
        for c in matter_cases(s, app.id):
            process_matter(s, c.id)
        settle_application(s, s.get(type(app), app.id), actor="t")
    with session_scope() as s:
        issue_all(s, app.id)
    session.expire_all()
    return app, {d.doc_key: d for d in session.exec(select(Document).where(Document.application_id == app.id))}


def test_each_document_reads_back_with_its_facts(issued):
    app, rows = issued
    text = {k: "".join(p.extract_text() for p in PdfReader(r.path).pages).replace(" ", "")
            for k, r in rows.items()}
    for key, row in rows.items():
        assert app.application_no in text[key], key
        assert row.document_no in text[key], key
        assert row.verification_code in text[key], key
    assert "330482199203151217" in text["form"] and "13905731234" in text["form"]
    assert "陆建军" in text["receipt"] and "2026年12月14日" in text["receipt"]
    assert "PX-QCWX-01" in text["training"] and "汽车维修" in text["training"]
    assert "机电一体化技术" in text["education"]
    assert all(code in text["job_push"] for code in ("GW-001", "GW-003", "GW-004"))
    assert "ZP-01-0001" in text["job_fair"]
    assert "27,000" in text["incentive_form"] and "公告2023年第14号" in text["incentive_form"] and "财税〔2019〕21号" not in text["incentive_form"]
    assert "平湖市退役军人事务局" in text["receipt"]


def test_cjk_font_embedded_and_page_counts(issued):
    _, rows = issued
    for key, row in rows.items():
        reader = PdfReader(row.path)
        assert len(reader.pages) == row.pages
        # the cut face (onematter fonts) or, without it, the full one
        assert any("NotoSansCJK" in f.replace("-", "") or "OM-Sans" in f for f in _fonts(reader)), key
        if not key.startswith("packet"):
            assert row.pages <= 2, key
    packet = rows["packet-intake"]
    assert packet.pages == 1 + sum(r.pages for k, r in rows.items() if not k.startswith("packet"))


def test_no_notdef_glyphs(issued):
    """Every character of the text maps back to Unicode: no .notdef boxes."""
    _, rows = issued
    for row in rows.values():
        text = "".join(p.extract_text() for p in PdfReader(row.path).pages)
        assert "\ufffd" not in text and "\x00" not in text


def test_rendering_is_deterministic(env):
    context = {"doc": {"title": "测试", "number": "X-1", "qr": True}}
    (env / "t").mkdir()
    tpl = env / "t" / "t.html"
    tpl.write_text("<html lang='zh-CN'><body><p>{{ doc.title }} 王</p>{{ qr_svg }}</body></html>", encoding="utf-8")
    import os
    os.environ["ONEMATTER_TEMPLATES_DIR"] = str(env / "t")
    try:
        from onematter.config.settings import get_settings
        get_settings.cache_clear()
        docs._env.cache_clear()
        a = docs.render("t.html", context).pdf
        b = docs.render("t.html", context).pdf
    finally:
        del os.environ["ONEMATTER_TEMPLATES_DIR"]
        get_settings.cache_clear()
    assert a == b


def test_issued_documents_rerendered_are_byte_identical(issued, db):
    """Rendering is deterministic: the issued file's content (its first revision, before the
    appended signature) is the same bytes when rendered again."""
    app, rows = issued
    row = rows["receipt"]
    with session_scope() as s:
        from onematter.casework.issuing import build_context
        again = docs.render(row.template, build_context(s, s.get(type(app), app.id), "receipt"))
    issued_bytes = Path(row.path).read_bytes()
    assert row.sealed and issued_bytes != again.pdf
    assert again.pdf == seal.first_revision(issued_bytes)
    assert again.content_sha256 == row.content_sha256


def test_fetcher_refuses_outside_urls_without_touching_the_network(env, monkeypatch):
    """Refused before any look-up or connection (how long a refusal takes: bench/documents.py)."""
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError(f"the fetcher went to the network: {args}")
    for name in ("getaddrinfo", "create_connection"):
        monkeypatch.setattr(socket, name, no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    fetcher = docs.url_fetcher()
    for url in ("http://example.com/x.css", "https://127.0.0.1:9/x.png", "file:///etc/passwd",
                (docs.templates_dir() / ".." / "pyproject.toml").as_uri()):
        with pytest.raises(docs.FetchRefused):
            fetcher(url)
    assert fetcher((docs.templates_dir() / "styles" / "print.css").as_uri()).read()


def test_html_is_escaped_in_text_and_css_strings(env):
    html = docs.render_html("receipt/document.html", _minimal_context(name="<b>王</b>"))
    assert "&lt;b&gt;王&lt;/b&gt;" in html and "<b>王</b>" not in html
    assert str(docs.css_string('a"b\\c</style>')) == '"a\\000022b\\00005cc\\00003c/style\\00003e"'


def test_missing_glyph_fails_with_character_and_package(env):
    with pytest.raises(docs.RenderError, match="U\\+3134A.*fonts-"):
        docs.check_glyphs(["陆\U0003134A"])   # CJK Extension G: no installed font has it
    docs.check_glyphs(["䶮㙟𠮷"])             # rarer characters Noto CJK covers


def test_verify_genuine_altered_and_unknown(issued, session, tmp_path):
    _, rows = issued
    row = rows["receipt"]
    assert verify_pdf(session, Path(row.path))["result"] == "genuine"
    writer = PdfWriter(clone_from=row.path)
    writer.add_metadata({"/Title": "tampered"})
    altered = tmp_path / "altered.pdf"
    writer.write(altered)
    result = verify_pdf(session, altered)
    assert result["result"] == "altered" and result["document_no"] == row.document_no
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert verify_pdf(session, other)["result"] == "unknown"


def test_verify_reads_the_seal(issued, session, tmp_path):
    """The file as issued: genuine, with the seal's signer and time. One byte changed: altered,
    saying the seal no longer holds. A lost file sealed again (another signing time, other bytes):
    the copy the veteran holds is still genuine, by its intact signature over the same content."""
    app, rows = issued
    row = rows["refusal-employer_incentive"] if "refusal-employer_incentive" in rows else rows["receipt"]
    held = tmp_path / "held.pdf"
    held.write_bytes(Path(row.path).read_bytes())
    first = verify_pdf(session, held)
    assert first["result"] == "genuine" and first["signature"]["valid"], first
    assert "电子印章（示例）" in first["signature"]["signer"] and "电子签章有效" in first["message"]

    data = bytearray(held.read_bytes())
    data[data.index(b"WeasyPrint") + 9] = ord("T")
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    answer = verify_pdf(session, changed)
    assert answer["result"] == "altered" and answer["document_no"] == row.document_no, answer
    assert "电子签章验证失败" in answer["message"] and answer["signature"]["valid"] is False

    Path(row.path).unlink()
    with session_scope() as s:
        issue_all(s, app.id)
    assert Path(row.path).read_bytes() != held.read_bytes()          # sealed again: another signature
    again = verify_pdf(session, held)
    assert again["result"] == "genuine" and again["document_no"] == row.document_no, again

    unsigned = tmp_path / "unsigned.pdf"                             # the content without the seal
    unsigned.write_bytes(seal.first_revision(held.read_bytes()))
    answer = verify_pdf(session, unsigned)
    assert answer["result"] == "altered" and "没有本局的电子签章" in answer["message"], answer


def _minimal_context(name: str) -> dict:
    return {
        "doc": {"key": "receipt", "title": "受理回执", "number": "PHYJS-20261130-0001-02", "issuing_body": "平湖市退役军人事务局",
                "service_centre": "平湖市退役军人服务中心", "policy_version": "t", "qr": False, "official": False,
                "wenhao": "", "verify_url": "http://127.0.0.1:4300/verify", "issued_on": "2026-11-30"},
        "centre": {"name": "平湖市退役军人服务中心", "address": "地址", "phone": "0573-85000000", "hours": "工作日"},
        "application": {"no": "PHYJS-20261130-0001", "date": "2026-11-30", "deadline": "2026-12-14",
                        "status": "completed", "status_label": "已办结", "staff": "王珏", "station": "中心", "town": "当湖街道"},
        "applicant": {"name": name, "id_number": "330482199203151217", "sex": "男", "birth_date": "1992-03-15",
                      "mobile": "13905731234", "discharge_date": "2025-09-01", "category": "军士", "placement": "自主就业",
                      "education": "高中", "town": "当湖街道", "intentions": {"categories": [], "towns": [], "min_salary": None}},
        "matters": [], "citation": "c", "verification_code": "ABCDE-12345", "qr_svg": "",
    }


def test_a_lost_file_is_reissued_byte_identical(issued, session):
    app, rows = issued
    row = rows["receipt"]
    original = Path(row.path).read_bytes()
    Path(row.path).unlink()
    with session_scope() as s:
        issue_all(s, app.id)
    again = Path(row.path).read_bytes()
    assert seal.first_revision(again) == seal.first_revision(original)     # the content, byte for byte
    assert seal.check(again)["intact"] and seal.check(again)["trusted"]


def test_a_matter_document_is_found_in_its_folder_and_keeps_its_code(issued, session):
    """A matter's templates are in templates/matters/<key>/; its documents' codes name the template
    within that folder, so a row issued before the move (its old place stored) re-renders, in a lost
    packet too, byte-identical."""
    app, rows = issued
    training = rows["training"]
    assert training.template == "matters/training/training/document.html"
    assert docs.context_sha256(training.template, training.context) == docs.context_sha256(
        "training/document.html", training.context) == training.context_sha256
    packet = rows["packet-intake"]
    original = Path(packet.path).read_bytes()
    with session_scope() as s:                   # as stored before the templates moved
        for row in s.exec(select(Document).where(Document.application_id == app.id)).all():
            row.template = row.template.split("/", 2)[-1] if row.template.startswith("matters/") else row.template
            s.add(row)
    Path(packet.path).unlink()
    with session_scope() as s:
        issue_all(s, app.id)
    assert seal.first_revision(Path(packet.path).read_bytes()) == seal.first_revision(original)


def _one_seat_fair_applicants(session, form, count: int, seq: int) -> list:
    """ZP-01 with one offline seat, then `count` people apply to it (decided and issued)."""
    from onematter.casework.applications import matter_cases, settle_application
    from onematter.matters.job_fair.models import Fair
    from onematter.casework.processing import process_matter
    from tests.conftest import make_id
    fair = session.exec(select(Fair).where(Fair.code == "ZP-01")).one()
    fair.capacity_offline = 1
    session.add(fair)
    session.commit()
    apps = []
    for n in range(1, count + 1):
        f = {**form, "idempotency_key": f"fair-{seq + n}", "matters": {"job_fair": {"fair": "ZP-01"}},
             "applicant": {**form["applicant"], "id_number": make_id("19900101", seq=f"{seq + n}")}}
        app, _ = submit_application(session, parse_intake(f), actor="t")
        for c in matter_cases(session, app.id):
            process_matter(session, c.id)
        settle_application(session, app, actor="t")
        issue_all(session, app.id)
        session.commit()
        apps.append(app)
    return apps


def test_a_waitlisted_fair_place_gets_a_waitlist_notice_not_a_ticket(session, catalogue, form):
    apps = _one_seat_fair_applicants(session, form, 2, seq=100)
    docs_of = {n: {d.doc_key: d for d in session.exec(select(Document).where(Document.application_id == app.id))}
               for n, app in enumerate(apps, 1)}
    assert "job_fair" in docs_of[1] and "job_fair_waitlist" not in docs_of[1]
    assert "job_fair" not in docs_of[2]
    text = "".join(p.extract_text() for p in PdfReader(docs_of[2]["job_fair_waitlist"].path).pages)
    text = "".join(text.split())
    assert "招聘会候补通知" in text and "候补位次为第1位" in text and "本通知不是入场凭证" in text
    assert "入场凭证" not in text.replace("本通知不是入场凭证", "").replace("为您出具入场凭证", "")


def test_a_freed_fair_place_goes_to_the_waitlist_with_a_ticket(session, catalogue, form):
    from onematter.matters.job_fair import release_place
    from onematter.case.models import MatterCase, Notification
    apps = _one_seat_fair_applicants(session, form, 3, seq=300)
    first = session.exec(select(MatterCase).where(MatterCase.application_id == apps[0].id)).one()
    promoted = release_place(session, first.details["registration_code"], actor="cli:王珏")
    session.commit()
    assert [c.application_id for c in promoted] == [apps[1].id]          # the first on the waitlist, only
    issue_all(session, apps[1].id)
    session.commit()
    cases = {c.application_id: c for c in session.exec(select(MatterCase)).all()}
    assert [cases[a.id].status for a in apps] == ["cancelled", "registered", "waitlisted"]
    docs = {d.doc_key for d in session.exec(select(Document).where(Document.application_id == apps[1].id))}
    assert {"job_fair", "job_fair_waitlist"} <= docs                      # the ticket now, the notice kept
    note = session.exec(select(Notification).where(Notification.kind == "fair_promoted")).one()
    assert note.person_id == apps[1].person_id
    with pytest.raises(LookupError, match="已取消"):
        release_place(session, first.details["registration_code"], actor="cli:王珏")
