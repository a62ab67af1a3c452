"""One matter, one package (and one template folder): the set of matters everywhere — intake, catalogue, JSON, documents, the
board, the decision — comes from the registry, and the core names no matter."""

import re
from pathlib import Path

from onematter import matters
from tests.conftest import REPO

MATTERS_DIR = REPO / "onematter" / "matters"
MATTER_TEMPLATES = REPO / "templates" / "matters"
# the applicant's own field `education` (学历) shares a name with the matter: a line that reads it
# (a["education"]) or declares its column (the subscription's, in a migration) names no matter
# the applicant's education (a field of the form), not the matter of that name
APPLICANT_EDUCATION = ('a["education"]', "Column('education'", "KEPT_APPLICANT = (")


def core_files() -> list[Path]:
    """Every module outside a matter's own package (onematter/ with matters/__init__.py and
    spec.py, flows/, tasks/) and every template outside a matter's own folder: found, not listed."""
    own = [MATTERS_DIR / key for key in matters.keys()]
    modules = [p for root in ("onematter", "flows", "tasks") for p in sorted((REPO / root).rglob("*.py"))
               if not any(folder in p.parents for folder in own)]
    templates = [p for p in sorted((REPO / "templates").rglob("*")) if p.is_file() and MATTER_TEMPLATES not in p.parents]
    templates += sorted((REPO / "onematter" / "web" / "templates").rglob("*.html"))     # the staff page's own
    return modules + templates


def test_every_matter_module_is_registered_in_order():
    packages = sorted(p.parent.name for p in MATTERS_DIR.glob("*/__init__.py"))
    assert sorted(matters.keys()) == packages
    assert matters.keys() == ["training", "education", "job_push", "job_fair", "employer_incentive", "startup_loan"]
    for spec in matters.all_specs():       # each matter's templates in its own folder, found through its spec
        assert spec.templates == f"matters/{spec.key}"
        for name in [spec.form_partial] + [d.template for d in spec.documents]:
            assert (REPO / "templates" / spec.template(name)).is_file(), (spec.key, name)
    assert sorted(p.name for p in MATTER_TEMPLATES.iterdir()) == sorted(matters.keys())


def matter_names(path: Path) -> list[str]:
    names = "|".join(map(re.escape, matters.keys()))
    quoted = re.compile(rf"""["'](?:refusal-)?({names})["']""")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [name for line in lines if not any(e in line for e in APPLICANT_EDUCATION) for name in quoted.findall(line)]


def test_the_core_names_no_matter():
    files = core_files()
    assert len(files) > 80 and REPO / "onematter" / "casework" / "report.py" in files   # the scan finds the core
    found = {str(p.relative_to(REPO)): matter_names(p) for p in files}
    assert {p: f for p, f in found.items() if f} == {}


def test_intake_catalogue_and_policy_come_from_the_registry():
    from onematter.casework.catalogue import CatalogueIn, sample_catalogue
    from onematter.casework.intake import Matters
    from onematter.policy import load_policy
    assert list(Matters.model_fields) == matters.keys()
    for spec in matters.all_specs():
        assert Matters.model_fields[spec.key].annotation == spec.request | None
    lists = [c.name for s in matters.all_specs() for c in s.catalogue]
    assert list(CatalogueIn.model_fields) == lists == ["courses", "programmes", "postings", "fairs", "banks"]
    assert set(sample_catalogue(__import__("datetime").date(2026, 11, 30))) == set(lists)
    policy = load_policy()
    assert set(policy.deadlines_working_days) >= set(matters.keys())


def test_documents_json_board_and_decisions_come_from_the_registry(session, catalogue, form):
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.dossier import due_documents, kinds
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import process_matter
    from onematter.casework.applications import load_file
    from onematter.casework.board import decision_description, matter_rows
    from onematter.casework.views import application_view
    from tests.conftest import make_id

    with open(REPO / "examples" / "startup-loan.yaml", encoding="utf-8") as fh:
        import yaml
        form["matters"]["startup_loan"] = yaml.safe_load(fh)["matters"]["startup_loan"]
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    session.commit()
    cases = matter_cases(session, app.id)

    assert [c.matter for c in cases] == matters.keys()                        # every matter applied for
    view = application_view(session, app)
    assert [m["matter"] for m in view["matters"]] == matters.keys()
    for m in view["matters"]:
        assert set(m["details"]) <= set(matters.spec(m["matter"]).details_shown)
    owners = {k.matter for k in kinds().values()} - {None}
    assert owners == {s.key for s in matters.all_specs() if s.documents or s.refusable}
    due = due_documents(app, cases)
    for spec in matters.all_specs():
        case = next(c for c in cases if c.matter == spec.key)
        assert [d.key for d in spec.documents if case.status in d.due_in] == [k for k in due if kinds()[k].matter == spec.key]
    assert [r["事项"] for r in matter_rows(load_file(session, app))] == [s.title for s in matters.all_specs()]
    waiting = [c for c in cases if matters.spec(c.matter).decision and c.status == matters.spec(c.matter).decision.waiting]
    assert [c.matter for c in waiting] == [s.key for s in matters.deciding()] == ["employer_incentive", "startup_loan"]
    for case in waiting:
        text = decision_description(session, case)
        assert f"· {matters.spec(case.matter).short}" in text and "合计" in text and "**" in text
