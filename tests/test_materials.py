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
