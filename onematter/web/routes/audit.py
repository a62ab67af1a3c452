"""查询留痕 for supervisors (domain.md §1.5): the log of every unmasked view, filtered (kept in
the URL) and exported as CSV; and, for a veteran who asks who has seen their data (个人信息保护法
Art. 45), a printable page by their ID number. Looking at the log is itself logged."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from onematter.config.settings import get_settings, today
from onematter.policy import load_policy
from onematter.services import audit
from onematter.services.scope import Viewer
from onematter.web.deps import CsrfChecked, Supervisor, csv_response, page, said

router = APIRouter()


def _filters(request: Request) -> tuple[audit.LogFilter | None, dict, str]:
    given = {k: str(request.query_params.get(k) or "")[:60] for k in ("account", "station", "what", "since", "until")}
    try:
        return audit.LogFilter.parse(**given), given, ""
    except ValueError as exc:
        return None, given, str(exc)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Supervisor):
    filters, given, error = _filters(request)
    found = audit.log(filters=filters) if filters else {"rows": [], "total": 0, "accounts": [], "whats": audit.WHAT}
    query = urlencode({k: v for k, v in given.items() if v})
    return page(request, "audit.html", found | {"given": given, "error": error, "query": query,
                                                "stations": load_policy().stations, "shown": audit.SHOWN},
                status=422 if error else 200)


@router.get("/audit.csv")
def audit_csv(request: Request, user: Supervisor):
    filters, _, error = _filters(request)
    if filters is None:
        return page(request, "message.html", {"title": "无法导出", "message": error}, status=422)
    data, count = audit.log_csv(filters=filters)
    audit.seen(Viewer.of(user), "audit", how=said(request), item=f"{count} 行")
    return csv_response(data, "access-log")


@router.get("/audit/person", response_class=HTMLResponse)
def audit_person_page(request: Request, user: Supervisor):
    return page(request, "audit_person.html", _person_ctx(""))


@router.post("/audit/person", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def audit_person(request: Request, user: Supervisor):
    """By POST: the ID number stays out of the URL, the browser's history and the log's `how`."""
    form = await request.form()
    number = str(form.get("id_number") or "").strip().upper()[:18]
    ctx = _person_ctx(number)
    if len(number) != 18:
        return page(request, "audit_person.html", ctx | {"error": "请输入18位公民身份号码"}, status=422)
    found = audit.person(id_number=number)
    if found["found"]:
        audit.seen(Viewer.of(user), "audit", how=said(request), id_number=number)
    return page(request, "audit_person.html", ctx | {"found": found})


def _person_ctx(number: str) -> dict:
    return {"number": number, "printed_on": today(), "centre": get_settings().service_centre, "found": None,
            "error": ""}
