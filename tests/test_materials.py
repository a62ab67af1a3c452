"""One set of materials (domain.md §1.1): the list is policy data; an intake file carries its
scans (`materials: {<key>: [paths]}`, relative to the file); they are checked by content and
stored once, content-addressed, readable by this user only; a bad file refuses the whole intake,
naming the field, and stores nothing."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from PIL import Image
from sqlmodel import func, select
from typer.testing import CliRunner

from onematter.case.models import Application, MaterialFile
from onematter.cli import app
from tests.conftest import REPO

runner = CliRunner()


@pytest.fixture
def form(scanned_form):
    """Here the example intake carries its scans (the window's one set of materials)."""
    return scanned_form


def _run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout


def test_materials_list_is_policy_data():
    code, out = _run("materials", "list", "--json")
    assert code == 0, out
    items = {m["key"]: m for m in json.loads(out)}
    assert list(items) == ["signed_form", "id_card", "discharge_certificate", "diploma", "labour_contract",
                           "social_insurance_record", "business_licence", "loan_contract"]
    assert items["labour_contract"]["needed_by"] == ["employer_incentive"]
    assert items["id_card"]["needed_by"] == ["all"] and items["id_card"]["name"] == "居民身份证"
    assert all({"key", "name", "taken", "needed_by", "shared"} <= set(m) for m in items.values())
    assert all(m["shared"] is False for m in items.values())


def test_intake_scans_stored_once_content_addressed(prefect, db, catalogue, session, tmp_path, monkeypatch):
    code, out = _run("apply", REPO / "examples" / "application.yaml", "--json")     # paths relative to it
    assert code == 0, out
    view = json.loads(out)
    shown = {m["key"]: m["files"] for m in view["materials"]}
    assert set(shown) == {"signed_form", "id_card", "discharge_certificate", "diploma", "labour_contract",
                          "social_insurance_record"}
    assert shown["labour_contract"][0]["pages"] == 3 and shown["labour_contract"][0]["media_type"] == "application/pdf"
    rows = session.exec(select(MaterialFile)).all()
    assert len(rows) == 6 and {r.added_by for r in rows} == {"staff:王珏"}
    from onematter.casework.materials import path_of
    for row in rows:
        path = path_of(row)
        assert path.exists() and path.stat().st_mode & 0o777 == 0o600
        assert path.name.startswith(row.sha256)
    # submitted again: the same application, no file twice
    code, out = _run("apply", REPO / "examples" / "application.yaml", "--json")
    assert code == 0 and json.loads(out)["application_no"] == view["application_no"]
    session.expire_all()
    assert session.exec(select(func.count()).select_from(MaterialFile)).one() == 6


def _png_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    return out.getvalue()


def _pdf(pages: int, cut: bool = False) -> bytes:
    from pypdf import PdfWriter
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()[:400] if cut else out.getvalue()


@pytest.mark.parametrize(("item", "name", "content", "says"), [
    ("id_card", "id.png", "文本，不是图片".encode(), "不是 PDF、JPEG 或 PNG"),
    ("labour_contract", "contract.pdf", None, "不是完整的 PDF"),
    ("discharge_certificate", "huge.png", "bomb", "过大"),
    ("social_insurance_record", "big.pdf", b"%PDF-1.4\n" + b"0" * (11 * 2**20), "超过每个文件 10 MB"),
    ("labour_contract", "long.pdf", "pdf51", "51 页"),
    ("diploma", "missing.png", "absent", "找不到或无法读取"),
    ("no_such_item", "id.png", b"x", "不认识的材料"),
])
def test_a_bad_file_refuses_the_intake_naming_the_field(db, catalogue, session, form, tmp_path, item, name, content, says):
    if content == "absent":
        pass
    else:
        data = {None: _pdf(2, cut=True), "bomb": _png_bomb(), "pdf51": _pdf(51)}.get(content, content) \
            if not isinstance(content, bytes) else content
        (tmp_path / name).write_bytes(data)
    form["materials"][item] = [name]
    path = tmp_path / "form.yaml"
    path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
    code, out = _run("apply", path, "--json")
    assert code == 2, out
    body = json.loads(out)
    assert body["error"] == "invalid_intake" and says in body["fields"][f"materials.{item}"], body
    assert session.exec(select(func.count()).select_from(Application)).one() == 0
    assert session.exec(select(func.count()).select_from(MaterialFile)).one() == 0
    stored = tmp_path / "data" / "materials"
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


def _submitted(session, form) -> str:
    """The example application with its scans, stored without Prefect (the services' prepare and
    the casework intake): its number."""
    from onematter.casework import materials
    from onematter.casework.applications import submit_application
    from onematter.services.applications import prepare
    intake, checked = prepare(form, REPO / "examples")
    app_row, _ = submit_application(session, intake, actor="staff:王珏")
    materials.attach(session, app_row.id, checked, by="staff:王珏")
    session.commit()
    return app_row.application_no


def test_materials_added_later_once_and_checked(db, catalogue, session, form, tmp_path):
    form["materials"].pop("diploma")
    no = _submitted(session, form)
    (tmp_path / "diploma.png").write_bytes((REPO / "examples" / "materials" / "diploma.png").read_bytes())
    code, out = _run("materials", "add", no, "diploma", tmp_path / "diploma.png", "--by", "王珏", "--json")
    assert code == 0, out
    done = json.loads(out)
    assert done["added"] == 1 and done["application_no"] == no
    assert [len(m["files"]) for m in done["materials"] if m["key"] == "diploma"] == [1]
    code, out = _run("materials", "add", no, "diploma", tmp_path / "diploma.png", "--by", "王珏", "--json")
    assert code == 0 and json.loads(out)["added"] == 0                    # the same scan: not twice
    (tmp_path / "note.png").write_text("不是图片", encoding="utf-8")
    code, out = _run("materials", "add", no, "diploma", tmp_path / "note.png", "--by", "王珏", "--json")
    assert code == 2 and "materials.diploma" in json.loads(out)["fields"]
    code, out = _run("materials", "add", "PHYJS-20260101-9999", "diploma", tmp_path / "diploma.png", "--by", "王珏", "--json")
    assert code == 1 and json.loads(out)["error"] == "not_found"
    session.expire_all()
    rows = session.exec(select(MaterialFile).where(MaterialFile.item == "diploma")).all()
    assert [r.added_by for r in rows] == ["staff:王珏"]


def test_the_staff_page_and_the_decision_form_show_the_scans(db, catalogue, session, form, monkeypatch):
    from fastapi.testclient import TestClient

    from onematter.case.accounts import add_user
    from onematter.case.models import MatterCase
    from onematter.casework.board import decision_description
    from onematter.casework.processing import process_matter
    from onematter.web.app import create_app
    from tests.test_web import PASSWORD, _login
    form["materials"].pop("social_insurance_record")
    no = _submitted(session, form)
    add_user(session, username="lik", name="李科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
    session.commit()
    files = {f.item: f for f in session.exec(select(MaterialFile)).all()}
    image, pdf = files["id_card"], files["labour_contract"]
    # the supervisor's form in Prefect: each material linked on the staff page, the missing one named
    case = session.exec(select(MatterCase).where(MatterCase.matter == "employer_incentive")).one()
    process_matter(session, case.id)
    session.commit()
    text = decision_description(session, case)
    assert f"/applications/{no}/materials/{pdf.sha256}" in text and "劳动合同 [PDF 3页]" in text
    assert "社会保险缴费记录 **未提交**" in text
    assert "id-card.png" not in text                                            # no file names in Prefect
    session.rollback()
    client = TestClient(create_app())
    url = f"/applications/{no}/materials/{image.sha256}"
    assert client.get(url, follow_redirects=False).status_code == 303            # a login first
    assert _login(client, "lik").status_code == 303
    shown = client.get(url)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert shown.headers["x-content-type-options"] == "nosniff" and shown.headers["content-disposition"].startswith("inline")
    Image.open(io.BytesIO(shown.content)).verify()
    got = client.get(f"/applications/{no}/materials/{pdf.sha256}")
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment")
    assert got.content.startswith(b"%PDF")
    assert client.get(f"/applications/{no}/materials/{'0' * 64}").status_code == 404
    assert client.get(f"/applications/{no}/materials/..%2F..%2Fetc").status_code == 404
    page = client.get(f"/applications/{no}").text
    assert "申请材料" in page and f'src="/applications/{no}/materials/{image.sha256}"' in page
    assert "PDF 3 页" in page and "社会保险缴费记录" in page and "未提交" in page
