"""The veteran's own pages, no account: 办件查询 (the receipt's second QR code) and 电子送达's
download (the 办结 SMS link), each opened by the receipt's 核验码 and the last 4 of the ID,
wrong answers throttled (services.deliveries). They show each matter's state and deadline, or
hand over the packet, and nothing else."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from onematter.casework.public import AccessRefused
from onematter.policy import load_policy
from onematter.case.forms import FormError
from onematter.services import deliveries, ratings
from onematter.config.settings import get_settings
from onematter.web.deps import csrf_ok, page, per_client

router = APIRouter()


def _public(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    return page(request, name, {"centre_name": get_settings().service_centre,
                                "centre_phone": load_policy().service_centre.phone} | ctx, status=status)


async def _answers(request: Request) -> tuple[dict, str | None]:
    form = await request.form()
    given = {k: str(form.get(k) or "")[:40] for k in ("no", "code", "id_last4")}
    return given, None if csrf_ok(request, form) else "页面已过期，请重新打开链接后再试"


@router.get("/track", response_class=HTMLResponse)
def track_page(request: Request, no: str = "", code: str = ""):
    return _public(request, "track.html", {"no": no[:40], "code": code[:40]})


@router.post("/track", response_class=HTMLResponse, dependencies=[per_client("track")])
async def track(request: Request):
    given, stale = await _answers(request)
    if stale:
        return _public(request, "track.html", {**given, "error": stale}, status=400)
    try:
        result = deliveries.track(document_no=given["no"], code=given["code"], id_last4=given["id_last4"])
    except AccessRefused as exc:
        return _public(request, "track.html", {"no": given["no"], "code": given["code"], "error": str(exc)}, status=403)
    return _public(request, "track.html", {"result": result})


@router.get("/collect", response_class=HTMLResponse)
def collect_page(request: Request, no: str = "", code: str = ""):
    return _public(request, "collect.html", {"no": no[:40], "code": code[:40]})


@router.post("/collect", dependencies=[per_client("collect")])
async def collect(request: Request):
    given, stale = await _answers(request)
    if stale:
        return _public(request, "collect.html", {**given, "error": stale}, status=400)
    try:
        path, name = deliveries.collect(document_no=given["no"], code=given["code"], id_last4=given["id_last4"])
    except AccessRefused as exc:
        return _public(request, "collect.html", {"no": given["no"], "code": given["code"], "error": str(exc)},
                       status=403)
    return FileResponse(path, media_type="application/pdf", filename=name,
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


# ------------------------------------------------------------------ 好差评


def _rate_page(request: Request, no: str, code: str, ctx: dict, status: int = 200) -> HTMLResponse:
    return _public(request, "rate.html", {"no": no, "code": code, "levels": ratings.LEVELS,
                                          "reasons": ratings.REASONS} | ctx, status=status)


@router.get("/rate", response_class=HTMLResponse, dependencies=[per_client("rate")])
def rate_page(request: Request, no: str = "", code: str = ""):
    """The 办结通知书's QR code and the 办结 SMS link: a phone-sized page, no login."""
    no, code = no[:40], code[:20]
    try:
        found = ratings.page(document_no=no, code=code)
    except ratings.RatingRefused as exc:
        return _rate_page(request, no, code, {"refused": str(exc)}, status=404)
    return _rate_page(request, no, code, found)


@router.post("/rate", response_class=HTMLResponse, dependencies=[per_client("rate")])
async def rate(request: Request):
    form = await request.form()
    no, code = str(form.get("no") or "")[:40], str(form.get("code") or "")[:20]
    values = {"level": str(form.get("level") or "")[:2], "reasons": [str(r)[:20] for r in form.getlist("reasons")][:10],
              "text": str(form.get("text") or "")[:1000]}
    try:
        found = ratings.page(document_no=no, code=code)
    except ratings.RatingRefused as exc:
        return _rate_page(request, no, code, {"refused": str(exc)}, status=404)
    if not csrf_ok(request, form):
        return _rate_page(request, no, code, found | {"values": values,
                                                      "errors": {"level": "页面已过期，请重新选择后提交"}}, status=400)
    try:
        done = ratings.rate(document_no=no, code=code, level=values["level"], reasons=values["reasons"],
                            text=values["text"])
    except FormError as exc:
        return _rate_page(request, no, code, found | {"values": values, "errors": exc.fields}, status=422)
    except ratings.RatingRefused as exc:
        return _rate_page(request, no, code, found | {"rated": True, "rated_label": "", "refused": str(exc)}, status=409)
    return _rate_page(request, no, code, found | {"thanks": done})
