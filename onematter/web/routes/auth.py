"""Signing in and out, and the home page (by role)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from onematter.services import staff
from onematter.web.deps import CsrfChecked, CurrentUser, client_address, csrf_ok, page

router = APIRouter()


def safe_next(target: str) -> str:
    """Only a path on this site (no //host, no backslashes) to go on to after signing in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return page(request, "login.html", {"next": safe_next(next), "error": "", "username": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request):
    form = await request.form()
    nxt = safe_next(str(form.get("next") or "/"))
    username = str(form.get("username") or "")[:32]
    if not csrf_ok(request, form):
        return page(request, "login.html", {"next": nxt, "username": username, "error": "页面已过期，请重新登录"},
                    status=400)
    name, why = staff.sign_in(username=username, password=str(form.get("password") or ""),
                              client=client_address(request))
    if name is None:
        return page(request, "login.html", {"next": nxt, "username": username, "error": why}, status=401)
    request.session.clear()                        # a new session: nothing of the one before carries over
    request.session["uid"] = name
    request.session["sid"] = staff.start_session(username=name)
    request.session["csrf"] = secrets.token_urlsafe(24)
    return RedirectResponse(nxt, status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request):
    staff.end_session(sid=str(request.session.get("sid") or ""))       # every copy of the cookie
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(user: CurrentUser):
    return RedirectResponse("/decisions" if user.role == "supervisor" else "/applications/new", status_code=303)
