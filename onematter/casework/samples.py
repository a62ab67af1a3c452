"""`onematter samples DIR`: every document kind rendered for sample cases, for a person to review."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import yaml
from sqlmodel import select
from stdnum.cn import ric

from onematter import matters
from onematter.case.models import Application, Document
from onematter.casework import materials
from onematter.casework.applications import matter_cases, settle_application, submit_application
from onematter.casework.catalogue import import_catalogue, parse_catalogue, sample_catalogue
from onematter.casework.intake import parse_intake
from onematter.casework.issuing import issue_all
from onematter.casework.processing import process_matter, record_decision
from onematter.casework.schedule import refuse_overdue_materials
from onematter.casework.staff_tasks import complete_task
from onematter.config.crypto import create_key_file
from onematter.config.db import init_db, session_scope
from onematter.config.resources import example
from onematter.config.settings import get_settings, today
from onematter.documents import seal
from onematter.policy import load_policy


def sample_form(seq: int, *, key: str, birth: str = "19900101", **applicant) -> dict:
    """The example intake (examples/application.yaml) for another invented person: the ID number
    is built from `birth` and `seq` with a valid check character."""
    form = copy.deepcopy(_example())
    # every material a sample case may need (the loan's from its own example)
    form["materials"] = _example("startup-loan.yaml")["materials"] | form["materials"]
    body = f"330482{birth}{seq:03d}"
    form["applicant"].update(applicant, id_number=body + ric.calc_check_digit(body + "0"))
    form["idempotency_key"] = key
    return form


def _example(name: str = "application.yaml") -> dict:
    """An example intake, its scans' paths made absolute (the copy is used elsewhere)."""
    data = yaml.safe_load(example(name).read_text(encoding="utf-8"))
    data["materials"] = {k: [str(example(name).parent / p) for p in v] for k, v in (data.get("materials") or {}).items()}
    return data


def _sample_followups(application_id) -> None:
    """An approved sample's follow-ups, as each matter stages them (the incentive: next January's
    re-verification finds the contract ended), their tasks recorded."""
    for spec in matters.all_specs():
        if spec.sample_followup is None:
            continue
        with session_scope() as s:
            todo = spec.sample_followup(s, application_id)
        for task_id, recorded, day in todo:
            with on_day(day), session_scope() as s:
                complete_task(s, task_id, **recorded)


@contextlib.contextmanager
def on_day(day: dt.date):
    """Today is `day` meanwhile (ONEMATTER_TODAY): a follow-up recorded on the day it is due."""
    saved = os.environ.get("ONEMATTER_TODAY")
    os.environ["ONEMATTER_TODAY"] = day.isoformat()
    get_settings.cache_clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("ONEMATTER_TODAY", None)
        else:
            os.environ["ONEMATTER_TODAY"] = saved
        get_settings.cache_clear()


def render_samples(target: Path) -> list[Path]:
    """Runs sample cases in a throwaway database (no Prefect) and copies their PDFs to `target`."""
    work = Path(tempfile.mkdtemp(prefix="onematter-samples-"))
    saved = {k: os.environ.get(k) for k in ("ONEMATTER_DATA_DIR", "ONEMATTER_DATABASE_URL", "ONEMATTER_SEAL_DIR",
                                            "ONEMATTER_DATA_KEY_FILE")}
    sealed_by = seal.seal_dir()          # the samples are sealed as the documents are: the seal installed,
    os.environ["ONEMATTER_DATA_DIR"] = str(work)
    os.environ.pop("ONEMATTER_DATABASE_URL", None)
    os.environ["ONEMATTER_DATA_KEY_FILE"] = str(work / "data.key")      # a throwaway database, its own key
    create_key_file(work / "data.key")
    os.environ["ONEMATTER_SEAL_DIR"] = str(sealed_by if (sealed_by / seal.SEAL_FILE).exists() else work / "seal")
    get_settings.cache_clear()
    load_policy.cache_clear()
    if not seal.configured():            # else a demo seal made for them alone, its root left beside them
        seal.make_demo()
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seal.seal_dir() / seal.TRUST_FILE, target / "示例印章根证书.pem")
    try:
        return _run(target)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
        shutil.rmtree(work, ignore_errors=True)


def _run(target: Path) -> list[Path]:

    init_db()
    with session_scope() as s:
        import_catalogue(s, parse_catalogue(sample_catalogue(today())))
    def run(label: str, seq: int, decision: tuple[bool, str | None, list[str]] | None, *,
            without: tuple[str, ...] = (), **applicant) -> list[Path]:
        form = sample_form(seq, key=f"samples-{label}", **applicant)
        for spec in matters.all_specs():             # a matter's own request in this sample case
            request = spec.sample_request(label) if spec.sample_request else None
            if request is not None:
                form["matters"][spec.key] = request
        for item in without:                         # not brought to the window: 一次性告知
            form["materials"].pop(item, None)
        intake = parse_intake(form)
        checked = materials.check(materials.read(intake.materials, Path("/")))
        with session_scope() as s:
            app, _ = submit_application(s, intake, actor="samples")
            materials.attach(s, app.id, checked, by="samples")
        with session_scope() as s:
            for case in matter_cases(s, app.id):
                process_matter(s, case.id)
            settle_application(s, s.get(Application, app.id), actor="samples")
        with session_scope() as s:
            issue_all(s, app.id)
        if without:                                  # the correction period passes: 逾期未补正
            with session_scope() as s:
                due = max(dt.date.fromisoformat(c.details["materials_due"]) for c in matter_cases(s, app.id)
                          if "materials_due" in c.details)
                refuse_overdue_materials(s, due + dt.timedelta(days=1))
            with session_scope() as s:
                issue_all(s, app.id)
        if decision:
            with session_scope() as s:
                for matter in decision[2]:
                    record_decision(s, app.application_no, matter=matter, approve=decision[0], by="李科长",
                                    comment=decision[1], source="samples")
            with session_scope() as s:
                issue_all(s, app.id)
            if decision[0]:                # the follow-ups of what was approved (the incentive's January)
                _sample_followups(app.id)
        out = []
        with session_scope() as s:

            for d in s.exec(select(Document).where(Document.application_id == app.id)).all():
                dest = target / label / Path(d.path).name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(d.path, dest)
                out.append(dest)
        return sorted(out)

    deciding = [s.key for s in matters.deciding()]
    return (run("approved", 101, (True, None, deciding))
            + run("rejected", 102, (False, "劳动合同与社保缴纳单位不一致；经营场所未落实", deciding))
            + run("refused", 103, None, category="军官", placement="转业")
            # the ID card and the contract not brought: every matter waits, then 逾期未补正
            + run("correction", 104, None, without=("id_card", "labour_contract")))


def submit_waiting(count: int, *, first: int = 0, birth: str = "19850101") -> list[str]:
    """`count` invented persons' applications for the example's first matter a supervisor decides
    (the employer incentive) alone, each processed to 待审核 here (no Prefect, no documents): the
    load of decisions waiting, for benches and tests. Returns their application numbers."""
    numbers = []
    for seq in range(first, first + count):
        form = sample_form(seq, key=f"waiting-{birth}-{seq}", birth=birth)
        key = next(s.key for s in matters.deciding() if s.key in form["matters"])
        form["matters"] = {key: form["matters"][key]}
        form.pop("materials")                        # papers checked at the window: nothing to wait for
        with session_scope() as s:
            app, _ = submit_application(s, parse_intake(form), actor="sample")
            for case in matter_cases(s, app.id):
                process_matter(s, case.id)
            settle_application(s, app, actor="sample")
            numbers.append(app.application_no)
    return numbers
