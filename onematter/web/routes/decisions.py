"""The supervisor's queue and decisions."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from onematter import matters
from onematter.case.lifecycle import NotFound
from onematter.casework.claims import ClaimRefused
from onematter.casework.processing import DecisionRefused
from onematter.services import audit, decisions, exports, queries
from onematter.services.scope import Viewer
from onematter.web.deps import CsrfChecked, SessionDep, Supervisor, csv_response, page, said

router = APIRouter()


def _queue(session, station: str = "", assignee: str = "") -> dict:
    return queries.decision_queue(session, station=station[:60], assignee=assignee[:30]) | {
        "supervisors": queries.supervisors(session), "cards": queries.CARD_LABELS}


@router.get("/decisions", response_class=HTMLResponse)
def queue(request: Request, user: Supervisor, session: SessionDep, error: str = "", station: str = "",
          assignee: str = ""):
    """按责转办: the centre's queue of every station's decisions, by station and assignee if asked
    (`assignee=-`: unclaimed) — kept in the URL, to bookmark."""
    return page(request, "decisions.html", _queue(session, station, assignee) | {"error": error[:200]})


@router.get("/decisions.csv")
def queue_export(request: Request, user: Supervisor, session: SessionDep, station: str = "", assignee: str = ""):
    rows = queries.queue_rows(session, station=station[:60], assignee=assignee[:30])
    audit.seen(Viewer.of(user), "export", how=said(request), item=f"{len(rows)} 行")
    return csv_response(exports.csv_bytes(queries.QUEUE_COLUMNS, rows), "decisions")


@router.post("/decisions/{no}/{matter}/claim", dependencies=[CsrfChecked])
async def claim(request: Request, no: str, matter: str, user: Supervisor, session: SessionDep):
    """认领, 释放 or 转交 (`action`: claim | release | reassign, with `to` and `note`)."""
    form = await request.form()
    action = str(form.get("action") or "claim")
    try:
        if action == "release":
            decisions.release(application_no=no[:40], matter=matter[:40], by=user.name, actor=f"web:{user.username}")
        elif action == "reassign":
            decisions.reassign(application_no=no[:40], matter=matter[:40], by=user.name, to=str(form.get("to") or ""),
                               note=str(form.get("note") or ""), actor=f"web:{user.username}")
        else:
            decisions.claim(application_no=no[:40], matter=matter[:40], by=user.name, actor=f"web:{user.username}")
    except (ClaimRefused, NotFound) as exc:
        return _error(request, session, str(exc))
    back = urlencode({k: v[:60] for k, v in parse_qsl(str(form.get("back") or "")) if k in ("station", "assignee")})
    return RedirectResponse(f"/decisions{'?' + back if back else ''}#{no}-{matter}", status_code=303)


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
    return page(request, "decisions.html", _queue(session) | {"error": message}, status=409)
