"""The staff page (工作台), served by `onematter serve` on loopback: sign in, the one form, live
progress and the packet, finding cases, the supervisor's queue, and the public /verify page.

Routes are thin: parse, call the same domain function the CLI calls (parse_intake,
submit_application, record_decision, application_view, verify_pdf/verify_code), render. Sessions
are signed cookies (HttpOnly, SameSite=Lax) that expire when idle; every POST carries a CSRF token;
the signed-in account is the actor of what it does."""

from __future__ import annotations

import logging
import secrets
import threading
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlmodel import select
from starlette.middleware.sessions import SessionMiddleware

from onematter.settings import get_settings

HERE = Path(__file__).resolve().parent
log = logging.getLogger("onematter.web")


class NeedLogin(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


class Forbidden(Exception):
    pass


# ------------------------------------------------------------------ set-up


def secret_key() -> str:
    """ONEMATTER_WEB_SECRET, or one generated once and kept in the data dir (0600), so every
    process serving the same data dir signs sessions alike."""
    configured = get_settings().web_secret
    if configured:
        return configured
    path = get_settings().data_dir / "web-secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = None
        import os
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, secrets.token_urlsafe(48).encode())
        except FileExistsError:
            pass
        finally:
            if fd is not None:
                os.close(fd)
    return path.read_text().strip()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="onematter 工作台", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=secret_key(), session_cookie="onematter_session",
                       max_age=settings.web_idle_minutes * 60, same_site="lax", https_only=False)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["roles"] = {"window": "窗口人员", "supervisor": "审核人员"}
    templates.env.filters["cn_date"] = lambda v: f"{v[:4]}年{int(v[5:7])}月{int(v[8:10])}日" if v else ""
    app.state.templates = templates

    @app.exception_handler(NeedLogin)
    async def _login(request: Request, exc: NeedLogin):
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return _page(request, "message.html", {"title": "无权访问", "message": str(exc) or "该页面仅审核人员可用"},
                     status=403)

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception):
        """Anything unexpected: a Chinese page, and a log line with identity numbers masked (a
        database error's detail can quote the value that clashed)."""
        from onematter.privacy import safe_traceback
        log.error("工作台请求出错 %s %s：%s", request.method, request.url.path, safe_traceback())
        return _page(request, "message.html", {"title": "系统出错", "message": "操作未完成，已保存的内容不受影响。"
                     "请稍后重试；如持续出现，请联系系统管理员。"}, status=500)

    from onematter.web import routes
    routes.register(app)
    return app


def _page(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
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
    from onematter.db import session_scope
    from onematter.models import StaffUser
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


FAILED: dict[str, str] = {}     # application no → why its hand-over to Prefect failed (this process)


def start_in_background(target, *args, application_no: str | None = None) -> None:
    """Hand work to Prefect without holding the request: a daemon thread. A failure is logged
    (masked), remembered for the application's page, which says so at once and offers to continue;
    the application stays as stored."""
    if application_no:
        FAILED.pop(application_no, None)

    def run():
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001 — logged without personal data, shown on the case page
            from onematter.privacy import safe_traceback, scrub
            log.error("后台办理出错：%s", safe_traceback())
            if application_no:
                FAILED[application_no] = scrub(str(exc))[:200] or type(exc).__name__
    threading.Thread(target=run, daemon=True, name="web-submit").start()

