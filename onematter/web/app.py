"""The staff page (工作台), served by `onematter serve` on loopback: sign in, the one form, live
progress and the packet, finding cases, the supervisor's queue, and the public /verify page.

Routes are thin, one module per resource under `web/routes/`: parse, call the service layer the
CLI calls too (`onematter.services`: apply, decide, resume, the queries), render. The pages live in
`web/templates/`; each matter's own fields on the form in its package (`matters/<key>/templates/`,
found through the registry as `matters/<key>/…`). Sessions are signed cookies (HttpOnly,
SameSite=Lax) that expire when idle; every POST carries a CSRF token; the signed-in account is the
actor of what it does."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from starlette.middleware.sessions import SessionMiddleware

from onematter import matters
from onematter.case.throttle import Throttled
from onematter.config.privacy import safe_traceback
from onematter.config.settings import get_settings
from onematter.web.deps import Forbidden, NeedLogin, page as _page
from onematter.web.hardening import Hardening
from onematter.web.routes import applications, audit, auth, decisions, documents, health, public, ratings, sms, \
    tasks, verify

HERE = Path(__file__).resolve().parent
log = logging.getLogger("onematter.web")


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
    app.add_middleware(Hardening)          # outermost: before the session, every request and response
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.loader = template_loader()
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
        log.error("工作台请求出错 %s %s：%s", request.method, request.url.path, safe_traceback())
        return _page(request, "message.html", {"title": "系统出错", "message": "操作未完成，已保存的内容不受影响。"
                     "请稍后重试；如持续出现，请联系系统管理员。"}, status=500)

    @app.exception_handler(Throttled)
    async def _throttled(request: Request, exc: Throttled):
        response = _page(request, "message.html", {"title": "请求过于频繁", "message": str(exc)}, status=429)
        response.headers["Retry-After"] = str(exc.seconds)
        return response

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if request.url.path.endswith((".json", "/progress", "/lookup")):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return _page(request, "message.html", {"title": "无法完成", "message": exc.detail}, status=exc.status_code)

    for module in (auth, applications, decisions, tasks, ratings, audit, documents, verify, public, sms, health):
        app.include_router(module.router)
    return app


def template_loader() -> ChoiceLoader:
    """The staff page's templates, and each matter's own (its fields on the form) as
    `matters/<key>/<name>`, from the folder the registry gives."""
    own = PrefixLoader({s.key: FileSystemLoader(matters.templates_dir(s.key)) for s in matters.all_specs()})
    return ChoiceLoader([FileSystemLoader(HERE / "templates"), PrefixLoader({"matters": own})])


