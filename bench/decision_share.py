"""A supervisor's decision, in a warm process without Prefect: how much of issuing its documents
is laying the earlier documents out again for the final packet (they are rendered from their
stored contexts when this process did not render them). Prints a line per application.

    .venv/bin/python bench/decision_share.py
"""
import sys, os, tempfile, time
REPO = __import__("pathlib").Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO)); sys.path.insert(0, str(REPO / "bench"))
os.environ["ONEMATTER_DATA_DIR"] = tempfile.mkdtemp(prefix="dshare-")
import stack
stack.prepare("onematter-dshare-")
from onematter.casework.applications import submit_application, matter_cases, settle_application
from onematter.casework.intake import parse_intake
from onematter.casework.samples import sample_form
from onematter.config.db import session_scope
from onematter.casework.issuing import issue_all_unlocked
from onematter.casework.processing import process_matter, record_decision
from onematter.case.models import Application
from onematter.documents import render as docs
from onematter.documents.render import warm_fonts
warm_fonts()
calls = []
orig = docs.render
def timed(template, context, target=None, **kw):
    t0 = time.perf_counter(); r = orig(template, context, target, **kw); calls.append((template, target is None, time.perf_counter() - t0)); return r
docs.render = timed
res = []
for i in range(4):
    form = sample_form(800 + i, key=f"ds-{i}", birth="19800101"); form.pop("materials")
    with session_scope() as s:
        app, _ = submit_application(s, parse_intake(form), actor="b")
    with session_scope() as s:
        for c in matter_cases(s, app.id): process_matter(s, c.id)
        settle_application(s, s.get(Application, app.id), actor="b")
    issue_all_unlocked(app.id)
    with session_scope() as s:
        record_decision(s, app.application_no, approve=True, by="李科长", comment=None, source="cli")
    calls.clear()
    t0 = time.perf_counter(); issue_all_unlocked(app.id); total = time.perf_counter() - t0
    again = sum(t for tpl, nofile, t in calls if nofile and "packet" not in tpl)
    res.append((total, again, sum(1 for tpl, nofile, t in calls if nofile and "packet" not in tpl)))
for total, again, n in res[1:]:
    print(f"decision's documents: {total:.2f} s, of which laying out again {n} earlier documents: {again:.2f} s ({again/total:.0%})")
