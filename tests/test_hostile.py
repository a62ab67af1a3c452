"""Nothing a clerk types can hurt it: generated hostile intake and catalogue files, the known bad
inputs as regressions (on SQLite and PostgreSQL), concurrent submissions, faults."""

from __future__ import annotations

import copy
import functools
import json
import re
import threading

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from onematter.cli import app as cli
from onematter.case.models import Application, MatterCase, Person
from onematter.matters.training.models import Course
from tests.conftest import REPO, TODAY, make_id

runner = CliRunner()
ROOTS = ("file", "intake", "catalogue", "applicant", "matters", "consent", "staff", "idempotency_key",
         "courses", "programmes", "postings", "fairs", "banks")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _run(*args):
    result = runner.invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.exception


def _example() -> dict:
    """The example form, a fresh copy each call (parsed once: the generated cases call this 1,000 times)."""
    return copy.deepcopy(_parsed_example())


@functools.lru_cache(maxsize=1)
def _parsed_example() -> dict:
    from tests.conftest import example_form
    data = example_form()
    data.pop("materials")          # hostile input, not scans (tests/test_materials.py refuses bad files)
    return data


def _counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(t)).one() for t in (Application, MatterCase, Person))


def _assert_refusal(code: int, out: str, exc, error: str) -> dict:
    assert exc is None or isinstance(exc, SystemExit), repr(exc)       # never a traceback
    assert code == 2, out
    body = json.loads(out)
    assert body["error"] == error
    for path, message in body["fields"].items():
        assert path.split(".")[0] in ROOTS, path
        assert CJK.search(message), message                               # Chinese, every one
        assert len(message) <= 300, len(message)                         # values quoted back short
    return body["fields"]


# ------------------------------------------------------------------ generated files

_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("\x00\u202e\u200b\u2028 \t１٣X陆-"), max_size=12),
    st.sampled_from(["", " ", "2026-02-30", "0000-01-01", "2026-13", "true", "1", "null", "330482199203151217",
                     "330482١٩٩٢٠٣١٥١٢١7", "91330482MA2B3C4D5Y", "PX-QCWX-01", "x" * 2000]),
)
_leaf = st.one_of(_text, st.integers(), st.integers(min_value=10**20, max_value=10**60), st.floats(),
                  st.booleans(), st.none(), st.dates().map(str))
_value = st.recursive(_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(_text, inner, max_size=4)), max_leaves=12)


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))


@st.composite
def hostile_forms(draw):
    """The example form with a few of its fields replaced, removed or added — as YAML, JSON or bytes."""
    form = _example()
    form["idempotency_key"] = draw(st.one_of(st.none(), _text))
    paths = list(_paths(form))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        parent = form
        for k in path[:-1]:
            parent = parent.get(k) if isinstance(parent, dict) else None
            if parent is None:
                break
        if isinstance(parent, dict):
            action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(_value)
            elif action == "delete":
                parent.pop(path[-1], None)
            else:
                parent[draw(_text)] = draw(_value)
    shape = draw(st.sampled_from(["yaml", "json", "raw"]))
    if shape == "yaml":
        return "form.yaml", yaml.safe_dump(form, allow_unicode=True)
    if shape == "json":
        return "form.json", json.dumps(form, ensure_ascii=False, default=str)
    return "form.yaml", draw(st.text(max_size=200))


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(case=hostile_forms())
def test_generated_hostile_intake_files(tmp_path_factory, sqlite_db, case):
    """Each file: exit 0 with an application, or exit 2 naming fields in Chinese; nothing stored on a
    refusal; never a traceback. (The time each takes is measured by bench/hostile_inputs.py.)"""
    from onematter.config.db import get_engine
    name, text = case
    path = tmp_path_factory.mktemp("h") / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if isinstance(text, str) else None
    from onematter.cli import _load
    from onematter.case.forms import FormError
    from onematter.casework.intake import parse_intake
    with Session(get_engine()) as session:
        before = _counts(session)
        try:
            intake = parse_intake(_load(path))
        except FormError as exc:
            for field, message in exc.fields.items():      # a field of the form, or the unknown one named
                assert field and len(field) <= 250 and CJK.search(message) and len(message) <= 300, (field, message)
            assert _counts(session) == before
        else:
            from onematter.case.lifecycle import OpenApplicationExists
            from onematter.casework.applications import submit_application
            try:
                submit_application(session, intake, actor="t")
            except FormError as exc:
                assert all(CJK.search(m) for m in exc.fields.values())
                assert _counts(session) == before
            except OpenApplicationExists:
                assert _counts(session) == before


_item = st.one_of(_leaf, st.dictionaries(st.sampled_from(["code", "capacity", "start", "end", "mode", "trade",
                                                          "hours", "base", "name", "starts_at", "x"]), _leaf))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(mutations=st.lists(st.tuples(st.sampled_from(["courses", "programmes", "postings", "fairs", "banks"]),
                                    st.integers(0, 4), _item), min_size=1, max_size=3))
def test_generated_hostile_catalogue_files(sqlite_db, mutations):
    from onematter.casework.catalogue import CatalogueError, import_catalogue, parse_catalogue, sample_catalogue
    from onematter.config.db import get_engine
    data = sample_catalogue(TODAY)
    for name, index, item in mutations:
        items = data[name]
        current = items[index % len(items)]
        items[index % len(items)] = item if not isinstance(item, dict) else {
            **(current if isinstance(current, dict) else {}), **item}
    with Session(get_engine()) as session:
        before = session.exec(select(func.count()).select_from(Course)).one()
        try:
            catalogue = parse_catalogue(data)
        except CatalogueError as exc:
            for field, message in exc.fields.items():
                assert field and len(field) <= 250 and CJK.search(message), (field, message)
            assert session.exec(select(func.count()).select_from(Course)).one() == before
        else:
            import_catalogue(session, catalogue)
            session.rollback()


@pytest.fixture
def sqlite_db(env, monkeypatch, sqlite_template):
    """A migrated SQLite database for the generated cases (many examples, one database)."""
    from tests.conftest import _clear_caches, copy_sqlite_template
    monkeypatch.setenv("ONEMATTER_DATABASE_URL", copy_sqlite_template(sqlite_template, env / "data" / "hostile.db"))
    _clear_caches()
    from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
    from onematter.config.db import session_scope
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(TODAY)))


# ------------------------------------------------------------------ the cases found, as regressions


def _write(tmp_path, text: str, name="form.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _form_text(**replace) -> str:
    """The example's text (its scans' paths made absolute: the copy is written elsewhere)."""
    text = (REPO / "examples" / "application.yaml").read_text(encoding="utf-8")
    text = text.replace("[materials/", f"[{REPO / 'examples' / 'materials'}/")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


LOL = "a: &b0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"b{i}: &b{i} [" + ",".join([f"*b{i - 1}"] * 9) + "]\n" for i in range(1, 9))


@pytest.mark.parametrize("text,field,words", [
    (LOL, "file", "别名"),
    ("applicant: " + "[" * 3000 + "]" * 3000, "file", "嵌套过深"),
    (_form_text(**{"consent: true": "consent: false\nconsent: true"}), "file", "重复"),
    (_form_text(**{"consent: true": 'consent: "true"'}), "consent", "true"),
    (_form_text(**{"consent: true": "consent: 1"}), "consent", "true"),
    (_form_text(**{"discharge_date: 2025-09-01": "discharge_date: 2026-02-30"}), "applicant.discharge_date", "日期"),
    (_form_text(**{"contract_end: 2029-03-31": "contract_end: 2029-02-29"}),
     "matters.employer_incentive.contract_end", "日期"),
    (_form_text(**{"min_salary: 6000": "min_salary: " + "9" * 5000}), "applicant.intentions.min_salary", "过大"),
    (_form_text(**{"min_salary: 6000": "min_salary: .inf"}), "applicant.intentions.min_salary", "数字"),
    (_form_text(**{"town: 当湖街道": "town: " + "镇" * 5000}), "applicant.town", "不是本市"),
    (_form_text(**{'"330482199203151217"': '"330482١٩٩٢٠٣١٥١٢١7"'}), "applicant.id_number", "半角"),
    (_form_text(**{"name: 陆建军": 'name: "\\u202e陆建军abc"'}), "applicant.name", "U+202E"),
    (_form_text(**{"name: 陆建军": 'name: "\\u200b"'}), "applicant.name", "U+200B"),
    (_form_text(**{"name: 陆建军": 'name: "陆\\0建军"'}), "applicant.name", "U+0000"),
    (_form_text(**{'"13905731234"': '"1390573１２３４"'}), None, None),   # full-width digits: NFKC makes them plain
    (_form_text(**{"course: PX-QCWX-01": "course: PX QCWX"}), "matters.training.course", "空格"),
])
def test_known_bad_inputs_are_refused_naming_the_field(db, catalogue, tmp_path, session, text, field, words):
    before = _counts(session)
    code, out, exc = _run("apply", _write(tmp_path, text), "--json")
    if field is None:
        assert code == 2 or code == 0, out
        return
    fields = _assert_refusal(code, out, exc, "invalid_intake")
    assert field in fields and words in fields[field], fields
    assert len(out) < 2000                                    # a 5,000-character value is not echoed back
    assert _counts(session) == before


def test_a_big_file_is_refused_before_it_is_parsed(db, tmp_path):
    code, out, exc = _run("apply", _write(tmp_path, _form_text(**{"town: 当湖街道": "town: " + "x" * 1_000_000})), "--json")
    assert "过大" in _assert_refusal(code, out, exc, "invalid_intake")["file"] and len(out) < 500


def test_one_person_one_identity_whatever_the_digits(db, catalogue, session, tmp_path):
    """Arabic-Indic or full-width digits do not make a second person out of the same ID number."""
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import process_matter
    first, _ = submit_application(session, parse_intake(_example()), actor="t")
    for case in matter_cases(session, first.id):
        process_matter(session, case.id)
    settle_application(session, first, actor="t")
    session.commit()
    wide = _form_text(**{'"330482199203151217"': '"３３０４８２１９９２０３１５１２１７"', "demo-0001": "wide"})
    code, out, _ = _run("apply", _write(tmp_path, wide), "--json")
    assert code == 2 and json.loads(out) == {"error": "open_application_exists",      # the same person, open
                                             "application_no": first.application_no}
    assert _counts(session)[2] == 1


def test_catalogue_errors_name_their_own_path(db, tmp_path, session):
    from onematter.casework.catalogue import sample_catalogue
    data = sample_catalogue(TODAY)
    data["courses"][2]["capacity"] = 10**30
    data["courses"][1]["code"] = "PX QC"
    code, out, exc = _run("catalog", "import", _write(tmp_path, yaml.safe_dump(data, allow_unicode=True), "c.yaml"),
                          "--json")
    fields = _assert_refusal(code, out, exc, "invalid_catalogue")
    assert set(fields) == {"courses.2.capacity", "courses.1.code"}
    assert session.exec(select(func.count()).select_from(Course)).one() == 0
    code, out, exc = _run("catalog", "import", _write(tmp_path, "[1, 2]", "c2.yaml"), "--json")
    assert set(_assert_refusal(code, out, exc, "invalid_catalogue")) == {"catalogue"}


def test_verify_a_missing_path_or_a_directory(db, tmp_path):
    for target in (tmp_path / "missing.pdf", tmp_path):
        code, out, exc = _run("verify", target, "--json")
        assert code == 2 and json.loads(out)["error"] == "invalid_file" and exc is None or isinstance(exc, SystemExit)


def test_a_decider_name_too_long_is_refused_the_same_on_both_databases(db, catalogue, session):
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import DecisionRefused, process_matter, record_decision
    app, _ = submit_application(session, parse_intake(_example()), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    session.commit()
    for by in ("李" * 31, "李\x00科长", "\u202e李科长"):
        with pytest.raises(DecisionRefused, match="审核人"):
            record_decision(session, app.application_no, approve=True, by=by, comment=None, source="cli")
    session.rollback()
    assert record_decision(session, app.application_no, approve=True, by="李" * 30, comment=None,
                           source="cli").status == "completed"


def test_one_form_submitted_five_times_at_once_is_one_application_for_every_caller(db, catalogue):
    from onematter.casework.applications import submit_application
    from onematter.config.db import session_scope
    from onematter.casework.intake import parse_intake
    results, errors = [], []

    def submit():
        try:
            with session_scope() as s:
                results.append(submit_application(s, parse_intake(_example()), actor="t")[0].application_no)
        except Exception as exc:          # noqa: BLE001 — collected and asserted below
            errors.append(repr(exc))
    threads = [threading.Thread(target=submit) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == 5 and len(set(results)) == 1


def test_errors_never_carry_the_values_they_were_writing(db, session):
    """SQLAlchemy puts a statement's parameters into its error message: not here (hide_parameters);
    PostgreSQL's own detail line quotes the clashing value: the traceback we print is masked."""
    import datetime as dt

    from sqlalchemy.exc import IntegrityError

    from onematter.config.privacy import safe_traceback
    number = make_id("19900101", seq="177")
    for _ in range(2):
        session.add(Person(id_number=number, name="陆建军", mobile="13905731234", birth_date=dt.date(1990, 1, 1), sex="男"))
    try:
        session.commit()
    except IntegrityError as exc:
        assert "陆建军" not in str(exc) and "13905731234" not in str(exc)
        printed = safe_traceback()
        assert "IntegrityError" in printed and number not in printed and "330482********1777" in printed or \
            number not in str(exc)
    else:
        pytest.fail("no IntegrityError")


def test_an_unreachable_database_is_one_line_and_exit_3(env, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEMATTER_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    from tests.conftest import _clear_caches
    _clear_caches()
    for args in (["list", "--json"], ["status", "PHYJS-20261130-0001", "--json"],
                 ["apply", _write(tmp_path, _form_text()), "--json"]):
        code, out, exc = _run(*args)
        assert code == 3 and json.loads(out)["error"] == "database_unavailable", (args, out, exc)


def test_a_failed_write_leaves_no_truncated_pdf(tmp_path, monkeypatch):
    import os

    from onematter.documents.files import write_atomically
    target = tmp_path / "03-training.pdf"

    def full_disk(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        write_atomically(target, b"%PDF-1.7 " + b"x" * 60_000)
    assert list(tmp_path.iterdir()) == []


def test_status_says_when_documents_are_missing_and_resume_completes(prefect, db, catalogue, session, tmp_path):
    from onematter.casework.applications import submit_application
    from onematter.casework.intake import parse_intake
    app, _ = submit_application(session, parse_intake(_example()), actor="t")    # a process killed right here
    code, out, _ = _run("status", app.application_no, "--json")
    body = json.loads(out)
    assert code == 1 and "receipt" in body["missing_documents"] and "resume" in body["message"]
    code, out, _ = _run("resume", app.application_no, "--json")
    assert code == 0 and json.loads(out)["status"] == "awaiting_decision", out
    code, out, _ = _run("status", app.application_no, "--json")
    assert code == 0 and "missing_documents" not in json.loads(out)
