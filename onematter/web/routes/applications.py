"""The one form (new, submit, a returning person's details), an application (its page, live
progress, resume, the packet to print) and the list."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onematter import matters
from onematter.case.forms import FormError
from onematter.case.lifecycle import NotFound, OpenApplicationExists
from onematter.case.models import StaffUser
from onematter.casework.intake import parse_intake
from onematter.documents import scans
from onematter.services import applications, audit, deliveries, exports, materials, queries
from onematter.services.scope import Viewer
from onematter.web.deps import CsrfChecked, CurrentUser, SessionDep, csrf_ok, csv_response, page, said

router = APIRouter()


# ------------------------------------------------------------------ the one form


@router.get("/applications/new", response_class=HTMLResponse)
def new_application(request: Request, user: CurrentUser, session: SessionDep):
    return _form_page(request, session, values={}, errors={})


@router.post("/applications/new", response_class=HTMLResponse)
async def submit(request: Request, user: CurrentUser, session: SessionDep):
    form = await request.form(max_files=MAX_UPLOADS)
    data, values = form_to_intake(form, user)
    files = await uploads(form)
    values["_reselect"] = bool(files)          # a browser keeps no chosen file across a page
    if not csrf_ok(request, form):
        return _form_page(request, session, values,
                          {"form": "页面已过期（安全校验未通过）。已填写的内容都在，请核对后重新提交。"}, status=400)
    try:
        intake, checked = _checked(data, files)
        if (made := applications.made_by_key(key=intake.idempotency_key, id_number=intake.applicant.id_number)):
            # this draft, sent again (Back, a double click): its application, taken up if it stopped
            applications.resume(application_no=made, wait=False, background=True)
            return RedirectResponse(f"/applications/{made}", status_code=303)
        if form.get("confirm_again") != "1" and (earlier := queries.done_today(
                session, id_number=intake.applicant.id_number, matter_keys=list(data["matters"]))):
            return _form_page(request, session, values, {}, status=409, done_today=earlier)
        if form.get("confirm_refusals") != "1":          # 当场更正: a refusal only when the clerk confirms it
            refused = applications.refusals(applications.precheck(data=data))
            if refused:
                return _form_page(request, session, values, {}, status=409, refusals=refused)
        done = applications.apply(intake=intake, actor=f"web:{user.username}", wait=False, background=True,
                                  scans_presented=checked)
    except FormError as exc:
        return _form_page(request, session, values, exc.fields, status=422)
    except OpenApplicationExists as exc:
        return _form_page(request, session, values, {"form": f"未受理：该申请人已有一件未办结的联办申请 {exc.application_no}，"
                                                             f"办结后才能再次申请。", "open": exc.application_no},
                          status=409)
    return RedirectResponse(f"/applications/{done['application_no']}", status_code=303)


MAX_UPLOADS = 60          # files in one submission (a page's scans)


async def uploads(form) -> dict[str, list[tuple[str, bytes]]]:
    """The scans chosen in the form's file inputs (`materials.<item key>`), by item; each read
    to one byte past the per-file limit (the check refuses what is larger)."""
    files: dict[str, list[tuple[str, bytes]]] = {}
    for key in form.keys():
        if not key.startswith("materials."):
            continue
        for upload in form.getlist(key):
            if getattr(upload, "filename", None):
                data = await upload.read(scans.MAX_FILE + 1)
                files.setdefault(key.split(".", 1)[1][:40], []).append((upload.filename[-120:], data))
    return files


def _checked(data: dict, files: dict) -> tuple:
    """The form validated and its scans checked, every error of both at once (FormError)."""
    errors: dict[str, str] = {}
    intake = checked = None
    try:
        intake = parse_intake(data)
    except FormError as exc:
        errors |= exc.fields
    try:
        checked = applications.check_scans(files)
    except FormError as exc:
        errors |= exc.fields
    if errors:
        raise FormError(errors)
    return intake, checked


@router.post("/applications/preview")
async def preview(request: Request, user: CurrentUser, session: SessionDep):
    """The 一件事联办申请表 as typed, marked 待签字, to print for the applicant's signature before
    submitting; the form's errors send the clerk back to it. Stores nothing."""
    form = await request.form(max_files=MAX_UPLOADS)
    data, values = form_to_intake(form, user)
    if not csrf_ok(request, form):
        return _form_page(request, session, values, {"form": "页面已过期（安全校验未通过），请刷新后再打印"}, status=400)
    try:
        pdf = applications.signing_form(data=data)
    except FormError as exc:
        return _form_page(request, session, values, exc.fields | {"form": "申请表填写完整后才能打印待签字的申请表"},
                          status=422)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'inline; filename="application-form-unsigned.pdf"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@router.post("/applications/precheck")
async def precheck(request: Request, user: CurrentUser):
    """预审 as the clerk fills the form: what each chosen matter's rules will decide and the
    materials it needs; nothing is stored (the page posts its fields, with the CSRF header)."""
    if request.headers.get("x-csrf-token") != request.session.get("csrf"):
        raise HTTPException(400, "安全校验未通过，请刷新页面")
    data, _ = form_to_intake(await request.form(), user)
    return applications.precheck(data=data)


@router.post("/persons/lookup")
async def lookup(request: Request, user: CurrentUser, session: SessionDep):
    """A returning person's last details, for the form (POST: the ID number stays out of URLs and logs)."""
    if request.headers.get("x-csrf-token") != request.session.get("csrf"):
        raise HTTPException(400, "安全校验未通过，请刷新页面")
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "请求格式有误：应为 {\"id_number\": \"…\"}") from None
    number = body.get("id_number") if isinstance(body, dict) else None
    if not isinstance(number, str) or not re.fullmatch(r"\d{17}[\dXx]", number.strip()):
        raise HTTPException(400, "id_number 应为18位公民身份号码")
    found = queries.person_lookup(session, id_number=number.strip().upper(), viewer=Viewer.of(user))
    if found["found"]:
        audit.seen(Viewer.of(user), "lookup", how=said(request), id_number=number.strip().upper())
    return found


def _number(raw: str) -> int | str:
    """Typed digits → a number, only ASCII digits (`int()` takes any Unicode digit: '²', '٣٠٠٠')
    and not absurdly long; anything else stays text, which the intake's strict model refuses as
    the CLI's does, naming the field (a number past the field's bounds is refused the same way)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else raw


def form_to_intake(form, user: StaffUser) -> tuple[dict, dict]:
    """The page's fields (named by the intake's dotted keys) → the intake dict parse_intake takes,
    and the values as typed (to show them again with the errors)."""
    values: dict[str, Any] = {}
    for key in form.keys():
        if key.startswith("materials."):          # scans: uploads(), not typed values
            continue
        items = form.getlist(key)
        values[key] = [str(v) for v in items] if key.endswith(".towns") else str(items[-1])
    a = {k.split(".", 1)[1]: v.strip() for k, v in values.items()
         if k.startswith("applicant.") and k.count(".") == 1 and isinstance(v, str)}
    applicant: dict[str, Any] = {k: v for k, v in a.items() if v != ""}
    cats = re.split(r"[,，、;；\s]+", str(values.get("applicant.intentions.categories", "")).strip())
    intentions: dict[str, Any] = {"categories": [c for c in cats if c],
                                  "towns": list(values.get("applicant.intentions.towns") or [])}
    salary = str(values.get("applicant.intentions.min_salary", "")).strip()
    if salary:
        intentions["min_salary"] = _number(salary)
    if intentions["categories"] or intentions["towns"] or "min_salary" in intentions:
        applicant["intentions"] = intentions
    chosen: dict[str, Any] = {}
    for spec in matters.all_specs():
        if values.get(f"matters.{spec.key}") not in ("on", "true", "1"):
            continue
        fields = spec.request.model_fields
        request: dict[str, Any] = {}
        for name, field in fields.items():
            raw = str(values.get(f"matters.{spec.key}.{name}", "")).strip()
            if raw == "":
                continue
            request[name] = _number(raw) if field.annotation is int else raw
        chosen[spec.key] = request
    data = {"idempotency_key": str(values.get("idempotency_key") or "") or None, "applicant": applicant,
            "consent": values.get("consent") == "true", "staff": {"name": user.name, "station": user.station},
            "matters": chosen, "materials": {},        # the staff page takes its scans in this system
            "delivery": {"method": str(values.get("delivery.method") or "window")}}
    if str(values.get("delivery.address") or "").strip():
        data["delivery"]["address"] = str(values["delivery.address"]).strip()
    if data["idempotency_key"] is None:
        del data["idempotency_key"]
    return data, values


def _form_page(request: Request, session, values: dict, errors: dict, status: int = 200,
               refusals: dict | None = None, done_today: str | None = None) -> HTMLResponse:
    values = {"idempotency_key": f"web-{uuid.uuid4()}"} | values
    titles = {s.key: s.title for s in matters.all_specs()}
    shown = [{"matter": k, "title": titles[k], "text": t} for k, t in (refusals or {}).items()]
    return page(request, "form.html", {"values": values, "errors": errors, "refusals": shown, "done_today": done_today}
                | queries.form_context(session),
                status=status)


# ------------------------------------------------------------------ an application


def _not_found(no: str) -> HTTPException:
    return HTTPException(404, f"找不到联办申请 {no}")


def _case(query, session, no: str, user: StaffUser) -> dict:
    """One application's page or progress (`no` cut to 40 characters), as this user may see it;
    404 when there is none or it is another station's."""
    try:
        return query(session, application_no=no[:40], viewer=Viewer.of(user))
    except NotFound:
        raise _not_found(no[:40]) from None


@router.get("/applications/{no}", response_class=HTMLResponse)
def case_page(request: Request, no: str, user: CurrentUser, session: SessionDep):
    ctx = _case(queries.case_context, session, no, user)
    audit.seen(Viewer.of(user), "case", how=said(request), application_no=ctx["app"]["no"])
    return page(request, "case.html", ctx)


@router.get("/applications/{no}/progress")
def progress(no: str, user: CurrentUser, session: SessionDep):
    return _case(queries.case_progress, session, no, user)


@router.post("/applications/{no}/resume", dependencies=[CsrfChecked])
def resume(no: str, user: CurrentUser, session: SessionDep):
    _case(queries.case_progress, session, no, user)              # 404: not this user's to see
    try:
        done = applications.resume(application_no=no[:40], wait=False, background=True, force=True)
    except NotFound:
        raise _not_found(no[:40]) from None
    return RedirectResponse(f"/applications/{done['application_no']}", status_code=303)


@router.post("/applications/{no}/materials", response_class=HTMLResponse)
async def add_materials(request: Request, no: str, user: CurrentUser, session: SessionDep):
    """补正 at the window: scans of one material added to the application; a matter whose
    materials are now complete proceeds at once (the page follows it)."""
    form = await request.form(max_files=MAX_UPLOADS)
    if not csrf_ok(request, form):
        raise HTTPException(400, "页面已过期（安全校验未通过），请刷新后重新选择文件")
    item = str(form.get("item") or "")[:40]
    files = (await uploads(form)).get("file", [])
    try:
        if not files:
            raise FormError({f"materials.{item or 'file'}": "请选择要补正的扫描件（PDF、JPEG 或 PNG）"})
        materials.add(application_no=no[:40], item=item, files=files, by=f"web:{user.username}", wait=False,
                      background=True, viewer=Viewer.of(user))
    except NotFound:
        raise _not_found(no[:40]) from None
    except FormError as exc:
        ctx = _case(queries.case_context, session, no, user)
        return page(request, "case.html", ctx | {"material_errors": exc.fields}, status=422)
    return RedirectResponse(f"/applications/{no[:40]}#materials", status_code=303)


@router.post("/applications/{no}/comments", response_class=HTMLResponse)
async def add_comment(request: Request, no: str, user: CurrentUser, session: SessionDep):
    """备注 on the case, signed with the clerk's name and station, on its timeline."""
    form = await request.form()
    if not csrf_ok(request, form):
        raise HTTPException(400, "页面已过期（安全校验未通过），请刷新后重新填写")
    text = str(form.get("comment") or "")[:2000]
    try:
        applications.comment(application_no=no[:40], text=text, user=user, viewer=Viewer.of(user))
    except NotFound:
        raise _not_found(no[:40]) from None
    except FormError as exc:
        ctx = _case(queries.case_context, session, no, user)
        return page(request, "case.html", ctx | {"comment_errors": exc.fields, "comment_value": text}, status=422)
    return RedirectResponse(f"/applications/{no[:40]}#timeline", status_code=303)


@router.post("/applications/{no}/handover", response_class=HTMLResponse)
async def handover(request: Request, no: str, user: CurrentUser, session: SessionDep):
    """统一出件 at the window: who collected (self or agent), the EMS posting, or the SMS link."""
    form = await request.form()
    if not csrf_ok(request, form):
        raise HTTPException(400, "页面已过期（安全校验未通过），请刷新后重新登记")
    got = {k: (str(form.get(k) or "").strip()[:120] or None) for k in
           ("to", "method", "collector", "agent_name", "agent_id_last4", "address", "tracking_no", "posted_on")}
    try:
        deliveries.handover(application_no=no[:40], addressee=got.pop("to") or "person", method=got.pop("method") or "",
                            by=user.name, actor=f"web:{user.username}", viewer=Viewer.of(user), **got)
    except NotFound:
        raise _not_found(no[:40]) from None
    except (FormError, deliveries.DeliveryRefused) as exc:
        errors = exc.fields if isinstance(exc, FormError) else {"handover": str(exc)}
        ctx = _case(queries.case_context, session, no, user)
        return page(request, "case.html", ctx | {"handover_errors": errors, "handover_values": got}, status=422)
    return RedirectResponse(f"/applications/{no[:40]}#delivery", status_code=303)


@router.get("/applications/{no}/print", response_class=HTMLResponse)
def print_packet(request: Request, no: str, user: CurrentUser, session: SessionDep):
    ctx = _case(queries.case_context, session, no, user)
    if not ctx["packet"]:
        raise HTTPException(404, "文书清单尚未出具，请稍候")
    audit.seen(Viewer.of(user), "print", how=said(request), application_no=ctx["app"]["no"])
    return page(request, "print.html", {"packet": ctx["packet"], "no": ctx["app"]["no"]})


# ------------------------------------------------------------------ the list


@router.get("/applications", response_class=HTMLResponse)
def list_page(request: Request, user: CurrentUser, session: SessionDep, status: str = "", matter: str = "",
              town: str = "", station: str = "", overdue: str = "", date_from: str = "", date_to: str = "",
              q: str = ""):
    return page(request, "list.html", queries.list_context(
        session, status=status, matter=matter, town=town, station=station, overdue=overdue, date_from=date_from,
        date_to=date_to, q=q, viewer=Viewer.of(user)))


@router.get("/applications.csv")
def list_export(request: Request, user: CurrentUser, session: SessionDep):
    """The list as CSV, every case the filters choose (not only the page's 100), as this user may see."""
    filters = {k: str(request.query_params.get(k) or "")[:40] for k in queries.LIST_FILTERS}
    rows = queries.list_rows(session, filters, viewer=Viewer.of(user))
    audit.seen(Viewer.of(user), "export", how=said(request), item=f"{len(rows)} 行")
    for r in rows:
        r["card"] = queries.CARD_LABELS.get(r["card"], "")
    return csv_response(exports.csv_bytes(queries.LIST_COLUMNS, rows), "applications")


@router.get("/mine", response_class=HTMLResponse)
def my_work(request: Request, user: CurrentUser, session: SessionDep):
    """我的待办: the decisions I hold, my station's open cases and its tasks."""
    return page(request, "mine.html", queries.my_work(session, user=user))
