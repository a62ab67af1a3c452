"""The staff tasks the follow-ups create (待办), and recording their results."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from onematter.casework.staff_tasks import TaskRefused
from onematter.services import audit, exports, queries, staff_tasks
from onematter.services.scope import Viewer
from onematter.web.deps import CsrfChecked, CurrentUser, SessionDep, csv_response, page, said

router = APIRouter()


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, user: CurrentUser, session: SessionDep, station: str = "", error: str = ""):
    return page(request, "tasks.html", queries.tasks_context(session, station=station or user.station,
                                                             viewer=Viewer.of(user))
                | {"error": error[:200]})


@router.get("/tasks.csv")
def tasks_export(request: Request, user: CurrentUser, session: SessionDep, station: str = ""):
    ctx = queries.tasks_context(session, station=station[:60] or user.station, viewer=Viewer.of(user))
    audit.seen(Viewer.of(user), "export", how=said(request),
               item=f"{len(ctx['tasks'])} 行")
    return csv_response(exports.csv_bytes(queries.TASK_COLUMNS, ctx["tasks"]), "tasks")


@router.post("/tasks/{task_id}", dependencies=[CsrfChecked])
async def task_done(request: Request, task_id: str, user: CurrentUser, session: SessionDep):
    form = await request.form()
    try:
        staff_tasks.complete(task_id=task_id[:40], result=str(form.get("result") or ""), by=user.name,
                          note=str(form.get("note") or "")[:200], ended=str(form.get("ended") or "") or None,
                          actor=f"web:{user.username}", viewer=Viewer.of(user))
    except TaskRefused as exc:
        return page(request, "tasks.html", queries.tasks_context(session, station=user.station, viewer=Viewer.of(user))
                    | {"error": str(exc)},
                    status=409)
    return RedirectResponse("/tasks", status_code=303)
