"""The supervisor's queue and decisions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from onematter import matters
from onematter.case.lifecycle import NotFound
from onematter.casework.processing import DecisionRefused
from onematter.services import decisions, queries
from onematter.web.deps import CsrfChecked, SessionDep, Supervisor, page

router = APIRouter()


@router.get("/decisions", response_class=HTMLResponse)
def queue(request: Request, user: Supervisor, session: SessionDep, error: str = ""):
    return page(request, "decisions.html", {"queue": queries.decision_queue(session), "error": error[:200]})


@router.post("/decisions/{no}/{matter}", dependencies=[CsrfChecked])
async def decide(request: Request, no: str, matter: str, user: Supervisor, session: SessionDep):
    form = await request.form()
    verdict = form.get("decision")
    if verdict not in ("approve", "reject"):
        return _error(request, session, "请选择“确认”或“不予确认”")
    try:
        done = decisions.decide(application_no=no, matter=matter, approve=verdict == "approve", by=user.name,
                                comment=str(form.get("comment") or "").strip() or None, source="web",
                                background=True)
    except matters.UnknownMatter:
        return _error(request, session, f"不认识的事项 {matter}")
    except (DecisionRefused, NotFound) as exc:
        return _error(request, session, str(exc))
    return RedirectResponse(f"/applications/{done['application_no']}", status_code=303)


def _error(request: Request, session, message: str) -> HTMLResponse:
    return page(request, "decisions.html", {"queue": queries.decision_queue(session), "error": message}, status=409)
