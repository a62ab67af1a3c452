"""What every route depends on, as typed dependencies (fastapi/full-stack-fastapi-template):
`SessionDep` (a read-only session for the request), `CurrentUser` (the signed-in account, else to
the login page), `Supervisor` (403 for anyone else), CSRF (`check_csrf` for a plain POST,
`csrf_ok` where the page shows the form again), and `page`, the renderer."""

from __future__ import annotations

import secrets
from typing import Annotated, Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from onematter.case.models import StaffUser
from onematter.config.db import session_scope
from onematter.config.settings import today
from onematter.services import limits, queries, staff


class NeedLogin(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


class Forbidden(Exception):
    pass


def get_db() -> Iterator[Session]:
    """One read-only session per request (shared by its dependencies); what a route writes goes
    through a service, in the service's own unit of work."""
    with session_scope(readonly=True) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def page(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"user": getattr(request.state, "user", None), "csrf": csrf_token(request)} | ctx
    return templates.TemplateResponse(request, name, ctx, status_code=status)


# ------------------------------------------------------------------ sessions, users, CSRF


def said(request: Request) -> str:
    """The request as the access log records it: method, path and query (at most 200 characters)."""
    query = request.url.query
    return (f"{request.method} {request.url.path}" + (f"?{query}" if query else ""))[:200]


def csv_response(data: bytes, name: str) -> Response:
    """A CSV download named `<name>-<today>.csv`, never cached."""
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}-{today():%Y%m%d}.csv"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_ok(request: Request, form) -> bool:
    """The form's token is the session's (pages that show the form again when it is not)."""
    sent = str(form.get("csrf_token") or "")
    return bool(request.session.get("csrf")) and secrets.compare_digest(sent, request.session["csrf"])


async def check_csrf(request: Request) -> None:
    form = await request.form()
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token") or ""
    if not request.session.get("csrf") or not secrets.compare_digest(str(sent), request.session["csrf"]):
        raise HTTPException(400, "表单已过期或来源不明（CSRF 校验未通过），请返回刷新页面后重试，已填写的内容请重新提交")


CsrfChecked = Depends(check_csrf)


def client_address(request: Request) -> str:
    """The client's address (uvicorn takes a proxy's X-Forwarded-For only from loopback)."""
    return request.client.host if request.client else "-"


def per_client(name: str):
    """A public page's rate for one client address (services.limits): 429 beyond it."""
    def admit(request: Request) -> None:
        limits.admit(name, client_address(request))
    return Depends(admit)


def current_user(request: Request, session: SessionDep) -> StaffUser:
    uid = request.session.get("uid")
    if uid:
        user = queries.staff_user(session, username=uid)
        if user is not None and staff.session_live(sid=str(request.session.get("sid") or ""), username=uid):
            request.state.user = user
            return user
        request.session.clear()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise NeedLogin(target)


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def supervisor(user: CurrentUser) -> StaffUser:
    if user.role != "supervisor":
        raise Forbidden("该操作仅审核人员可用")
    return user


Supervisor = Annotated[StaffUser, Depends(supervisor)]
