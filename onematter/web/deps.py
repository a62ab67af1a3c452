"""What every route depends on: the page renderer, the signed-in user (`current_user`, `supervisor`),
CSRF, and handing work to a background thread."""

from __future__ import annotations

import logging
import secrets

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import select

from onematter.case.models import StaffUser
from onematter.config.db import session_scope

log = logging.getLogger("onematter.web")


class NeedLogin(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


class Forbidden(Exception):
    pass


def page(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"user": getattr(request.state, "user", None), "csrf": csrf_token(request)} | ctx
    return templates.TemplateResponse(request, name, ctx, status_code=status)


# ------------------------------------------------------------------ sessions, users, CSRF


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


async def check_csrf(request: Request) -> None:
    form = await request.form()
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token") or ""
    if not request.session.get("csrf") or not secrets.compare_digest(str(sent), request.session["csrf"]):
        raise HTTPException(400, "表单已过期或来源不明（CSRF 校验未通过），请返回刷新页面后重试，已填写的内容请重新提交")


def current_user(request: Request):
    uid = request.session.get("uid")
    if uid:
        with session_scope(readonly=True) as s:
            user = s.exec(select(StaffUser).where(StaffUser.username == uid)).first()
            if user and user.active:
                s.expunge(user)
                request.state.user = user
                return user
        request.session.clear()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise NeedLogin(target)


def supervisor(user=Depends(current_user)):
    if user.role != "supervisor":
        raise Forbidden("该操作仅审核人员可用")
    return user
