"""The staff page's routes. Each one: parse, call the domain function the CLI calls, render."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import tempfile
import uuid
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import func
from sqlmodel import select

from onematter import matters
from onematter.config.settings import get_settings, local, today
from onematter.casework.progress import progress
from onematter.web.deps import check_csrf, csrf_token, current_user, supervisor
from onematter.web.deps import page as _page

SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
MAX_UPLOAD = 20 * 1024 * 1024
LIST_LIMIT = 100


def register(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if request.url.path.endswith((".json", "/progress", "/lookup")):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return _page(request, "message.html", {"title": "无法完成", "message": exc.detail}, status=exc.status_code)

    # ---------------------------------------------------------------- sign in

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/"):
        return _page(request, "login.html", {"next": _safe_next(next), "error": "", "username": ""})

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request):
        from onematter.case.accounts import authenticate
        from onematter.config.db import session_scope
        form = await request.form()
        nxt = _safe_next(str(form.get("next") or "/"))
        username = str(form.get("username") or "")[:32]
        if not _csrf_ok(request, form):
            return _page(request, "login.html", {"next": nxt, "username": username,
                                                 "error": "页面已过期，请重新登录"}, status=400)
        with session_scope() as s:
            user, why = authenticate(s, username, str(form.get("password") or ""))
            name = user.username if user else None
        if name is None:
            return _page(request, "login.html", {"next": nxt, "username": username, "error": why}, status=401)
        request.session.clear()
        request.session["uid"] = name
        request.session["csrf"] = secrets.token_urlsafe(24)
        return RedirectResponse(nxt, status_code=303)

    @app.post("/logout", dependencies=[Depends(check_csrf)])
    def logout(request: Request):
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/")
    def home(user=Depends(current_user)):
        return RedirectResponse("/decisions" if user.role == "supervisor" else "/applications/new", status_code=303)

    # ---------------------------------------------------------------- the one form

    @app.get("/applications/new", response_class=HTMLResponse)
    def new_application(request: Request, user=Depends(current_user)):
        return _form_page(request, values={}, errors={})

    @app.post("/applications/new", response_class=HTMLResponse)
    async def submit(request: Request, user=Depends(current_user)):
        from onematter.case.forms import FormError
        from onematter.case.lifecycle import OpenApplicationExists
        from onematter.casework.intake import parse_intake
        from onematter.services import applications
        form = await request.form()
        data, values = form_to_intake(form, user)
        if not _csrf_ok(request, form):
            return _form_page(request, values, {"form": "页面已过期（安全校验未通过）。已填写的内容都在，请核对后重新提交。"},
                              status=400)
        try:
            intake = parse_intake(data)
            done = applications.apply(intake=intake, actor=f"web:{user.username}", wait=False, background=True)
        except FormError as exc:
            return _form_page(request, values, exc.fields, status=422)
        except OpenApplicationExists as exc:
            return _form_page(request, values, {"form": f"未受理：该申请人已有一件未办结的联办申请 {exc.application_no}，"
                                                        f"办结后才能再次申请。", "open": exc.application_no}, status=409)
        return RedirectResponse(f"/applications/{done['application_no']}", status_code=303)

    @app.post("/persons/lookup")
    async def lookup(request: Request, user=Depends(current_user)):
        """A returning person's last details, for the form (POST: the ID number stays out of URLs and logs)."""
        from onematter.config.db import session_scope
        from onematter.case.models import Application, Person
        body = await request.json()
        if request.headers.get("x-csrf-token") != request.session.get("csrf"):
            raise HTTPException(400, "安全校验未通过，请刷新页面")
        id_number = str(body.get("id_number") or "").strip().upper()[:18]
        with session_scope(readonly=True) as s:
            person = s.exec(select(Person).where(Person.id_number == id_number)).first()
            if person is None:
                return {"found": False}
            last = s.exec(select(Application).where(Application.person_id == person.id)
                          .order_by(Application.submitted_at.desc())).first()
            applicant = dict(last.form["applicant"]) if last else {"name": person.name, "mobile": person.mobile}
        return {"found": True, "applicant": applicant}

    # ---------------------------------------------------------------- an application

    @app.get("/applications/{no}", response_class=HTMLResponse)
    def case_page(request: Request, no: str, user=Depends(current_user)):
        return _page(request, "case.html", case_context(no))

    @app.get("/applications/{no}/progress")
    def progress(no: str, user=Depends(current_user)):
        ctx = case_context(no)
        return {"status": ctx["app"]["status"], "status_label": ctx["app"]["status_label"],
                "done": ctx["done"], "stuck": ctx["stuck"], "matters": ctx["matters"],
                "documents": ctx["documents"], "packet": ctx["packet"], "timeline": ctx["timeline"],
                "run_url": ctx["run_url"]}

    @app.post("/applications/{no}/resume", dependencies=[Depends(check_csrf)])
    def resume(no: str, user=Depends(current_user)):
        from onematter.case.lifecycle import NotFound
        from onematter.services import applications
        try:
            done = applications.resume(application_no=no[:40], wait=False, background=True, force=True)
        except NotFound:
            raise HTTPException(404, f"找不到联办申请 {no[:40]}") from None
        return RedirectResponse(f"/applications/{done['application_no']}", status_code=303)

    @app.get("/applications/{no}/print", response_class=HTMLResponse)
    def print_packet(request: Request, no: str, user=Depends(current_user)):
        ctx = case_context(no)
        if not ctx["packet"]:
            raise HTTPException(404, "文书清单尚未出具，请稍候")
        return _page(request, "print.html", {"packet": ctx["packet"], "no": ctx["app"]["no"]})

    @app.get("/applications", response_class=HTMLResponse)
    def list_page(request: Request, user=Depends(current_user), status: str = "", matter: str = "", town: str = "",
                  station: str = "", overdue: str = "", date_from: str = "", date_to: str = "", q: str = ""):
        filters = {"status": status, "matter": matter, "town": town, "station": station, "overdue": overdue,
                   "date_from": date_from, "date_to": date_to, "q": q.strip()[:40]}
        return _page(request, "list.html", list_context(filters))

    # ---------------------------------------------------------------- decisions

    @app.get("/decisions", response_class=HTMLResponse)
    def decisions(request: Request, user=Depends(supervisor), error: str = ""):
        return _page(request, "decisions.html", {"queue": decision_queue(), "error": error[:200]})

    @app.post("/decisions/{no}/{matter}", dependencies=[Depends(check_csrf)])
    async def decide(request: Request, no: str, matter: str, user=Depends(supervisor)):
        from onematter.case.lifecycle import NotFound
        from onematter.casework.processing import DecisionRefused
        from onematter.services import decisions
        form = await request.form()
        verdict = form.get("decision")
        if verdict not in ("approve", "reject"):
            return _decisions_error(request, "请选择“确认”或“不予确认”")
        try:
            done = decisions.decide(application_no=no, matter=matter, approve=verdict == "approve", by=user.name,
                                    comment=str(form.get("comment") or "").strip() or None, source="web",
                                    background=True)
        except (DecisionRefused, NotFound, matters.UnknownMatter) as exc:
            return _decisions_error(request, str(exc) if not isinstance(exc, matters.UnknownMatter)
                                    else f"不认识的事项 {matter}")
        return RedirectResponse(f"/applications/{done['application_no']}", status_code=303)

    # ---------------------------------------------------------------- staff tasks

    @app.get("/tasks", response_class=HTMLResponse)
    def tasks_page(request: Request, user=Depends(current_user), station: str = "", error: str = ""):
        return _page(request, "tasks.html", tasks_context(station or user.station) | {"error": error[:200]})

    @app.post("/tasks/{task_id}", dependencies=[Depends(check_csrf)])
    async def task_done(request: Request, task_id: str, user=Depends(current_user)):
        from onematter.config.db import session_scope
        from onematter.casework.staff_tasks import TaskRefused, complete_task
        form = await request.form()
        try:
            with session_scope() as s:
                complete_task(s, task_id[:40], result=str(form.get("result") or ""), by=user.name,
                              note=str(form.get("note") or "")[:200], ended=str(form.get("ended") or "") or None,
                              actor=f"web:{user.username}")
        except TaskRefused as exc:
            return _page(request, "tasks.html", tasks_context(user.station) | {"error": str(exc)}, status=409)
        return RedirectResponse("/tasks", status_code=303)

    # ---------------------------------------------------------------- documents and verification

    @app.get("/documents/{application_no}/{filename}")
    def document(application_no: str, filename: str, download: int = 0, user=Depends(current_user)):
        if not SAFE.match(application_no) or not SAFE.match(filename) or not filename.endswith(".pdf"):
            raise HTTPException(404, "文书不存在")
        root = get_settings().documents_dir.resolve()
        path = (root / application_no / filename).resolve()
        if root not in path.parents or not path.is_file():
            raise HTTPException(404, "文书不存在")
        return FileResponse(path, media_type="application/pdf",
                            content_disposition_type="attachment" if download else "inline", filename=filename)

    @app.get("/verify", response_class=HTMLResponse)
    def verify_page(request: Request, no: str = "", code: str = ""):
        from onematter.config.db import session_scope
        from onematter.documents.verification import verify_code
        answer = None
        if no:
            with session_scope(readonly=True) as s:
                answer = verify_code(s, no[:64], code[:32])
        return _page(request, "verify.html", {"no": no[:64], "code": code[:32], "answer": answer})

    @app.post("/verify", response_class=HTMLResponse)
    async def verify_upload(request: Request):
        from onematter.config.db import session_scope
        from onematter.documents.verification import verify_pdf
        form = await request.form()
        upload = form.get("file")
        answer = {"result": "unknown", "message": "请选择要核验的 PDF 文件"}
        if upload is not None and hasattr(upload, "read"):
            data = await upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                answer = {"result": "unknown", "message": "文件过大（超过20MB），不是本系统出具的文书"}
            elif data:
                with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
                    fh.write(data)
                    fh.flush()
                    with session_scope(readonly=True) as s:
                        answer = _public(s, verify_pdf(s, Path(fh.name)))
        return _page(request, "verify.html", {"no": "", "code": "", "answer": answer})

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/sms/inbound")
    async def sms_inbound(request: Request):
        """The SMS gateway forwards a veteran's reply (JSON or form: `mobile`, `text`), with the
        shared token in `X-Onematter-Token`. 退订 (TD, T, 退订, N) opts every applicant with that
        number out of further messages; anything else is acknowledged and ignored."""
        import hmac

        from onematter.config.db import session_scope
        from onematter.followups.outbox import OPT_OUT_WORDS, opt_out_mobile
        token = get_settings().sms_inbound_token
        if not token:
            raise HTTPException(404)
        if not hmac.compare_digest(request.headers.get("x-onematter-token", ""), token):
            raise HTTPException(403, "token")
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                raise HTTPException(422, "body") from None
        else:
            body = dict(await request.form())
        if not isinstance(body, dict):
            raise HTTPException(422, "body")
        mobile, text = str(body.get("mobile") or "").strip(), str(body.get("text") or "").strip()
        if not re.fullmatch(r"(\+?86)?1\d{10}", mobile):
            raise HTTPException(422, "mobile")
        if text.upper() not in OPT_OUT_WORDS:
            return {"result": "ignored"}
        with session_scope() as s:
            count = opt_out_mobile(s, mobile[-11:], source="sms")
        return {"result": "opted_out", "people": count}


# ------------------------------------------------------------------ helpers


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _csrf_ok(request: Request, form) -> bool:
    sent = str(form.get("csrf_token") or "")
    return bool(request.session.get("csrf")) and secrets.compare_digest(sent, request.session["csrf"])


def _get(session, getter, no: str):
    from onematter.case.lifecycle import NotFound
    try:
        return getter(session, no[:40])
    except NotFound:
        raise HTTPException(404, f"找不到联办申请 {no[:40]}") from None


def _public(session, result: dict) -> dict:
    """What /verify shows of a file's verification: the verdict, the title and the date only."""
    from onematter.case.models import Document
    from onematter.documents.verification import verify_code
    if result["result"] == "genuine" or (result["result"] == "altered" and result.get("document_no")):
        doc = session.exec(select(Document).where(Document.document_no == result["document_no"])).first()
        if doc is not None:
            shown = verify_code(session, doc.document_no, doc.verification_code if result["result"] == "genuine" else "")
            if result["result"] == "altered":
                shown["message"] = (f"文书编号 {doc.document_no}（{doc.title}）确有登记，但此文件与登记的文件不一致，"
                                    f"可能已被修改，请以原件为准")
            return shown
    return {"result": "unknown", "message": "未找到该文件的登记记录：不是本系统出具的文书，或已被修改"}


def form_to_intake(form, user) -> tuple[dict, dict]:
    """The page's fields (named by the intake's dotted keys) → the intake dict parse_intake takes,
    and the values as typed (to show them again with the errors)."""
    values: dict[str, Any] = {}
    for key in form.keys():
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
        intentions["min_salary"] = int(salary) if salary.isdigit() else salary
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
            request[name] = int(raw) if field.annotation is int and raw.isdigit() else raw
        chosen[spec.key] = request
    data = {"idempotency_key": str(values.get("idempotency_key") or "") or None, "applicant": applicant,
            "consent": values.get("consent") == "true", "staff": {"name": user.name, "station": user.station},
            "matters": chosen}
    if data["idempotency_key"] is None:
        del data["idempotency_key"]
    return data, values


def _form_page(request: Request, values: dict, errors: dict, status: int = 200) -> HTMLResponse:
    from onematter.policy import load_policy
    from onematter.rules import EDUCATION_LEVELS
    policy = load_policy()
    values = {"idempotency_key": f"web-{uuid.uuid4()}"} | values
    return _page(request, "form.html", {
        "values": values, "errors": errors, "choices": catalogue_choices(), "towns": policy.towns,
        "specs": matters.all_specs(), "educations": EDUCATION_LEVELS,
        "categories": ["义务兵", "军士", "军官"], "placements": ["自主就业", "安排工作", "退休", "转业", "复员"],
    }, status=status)


def catalogue_choices() -> dict[str, list[dict]]:
    """What the form offers: courses not yet started with seats left, programmes whose window is
    open today, fairs not yet started with room per mode, the partner banks."""
    from onematter.config.db import session_scope
    from onematter.matters.education.models import Programme
    from onematter.matters.job_fair.models import Fair, FairRegistration
    from onematter.matters.startup_loan.models import Bank
    from onematter.matters.training.models import Course, Enrolment
    day = today()
    with session_scope(readonly=True) as s:
        enrolled = dict(s.exec(select(Enrolment.course_id, func.count()).where(Enrolment.status == "enrolled")
                               .group_by(Enrolment.course_id)).all())
        courses = [{"code": c.code, "label": f"{c.trade}（{c.mode}，{c.start.month}月{c.start.day}日开班）",
                    "left": max(c.capacity - enrolled.get(c.id, 0), 0)}
                   for c in s.exec(select(Course).where(Course.start > day).order_by(Course.start)).all()]
        programmes = [{"code": p.code, "label": f"{p.school} {p.major}（{p.level}，{p.intake}）",
                       "left": None}
                      for p in s.exec(select(Programme).where(Programme.opens <= day, Programme.closes >= day)
                                      .order_by(Programme.code)).all()]
        registered = {(f, m): n for f, m, n in s.exec(
            select(FairRegistration.fair_id, FairRegistration.mode, func.count())
            .where(FairRegistration.status == "registered")
            .group_by(FairRegistration.fair_id, FairRegistration.mode)).all()}
        fairs = []
        for f in s.exec(select(Fair).order_by(Fair.starts_at)).all():
            if local(f.starts_at).date() <= day:
                continue
            left = {"线下": f.capacity_offline - registered.get((f.id, "线下"), 0),
                    "线上": f.capacity_online - registered.get((f.id, "线上"), 0)}
            when = local(f.starts_at)
            fairs.append({"code": f.code, "label": f"{f.name}（{when.month}月{when.day}日 {when:%H:%M}）",
                          "left": f"线下余{max(left['线下'], 0)}，线上余{max(left['线上'], 0)}"})
        banks = [{"code": b.code, "label": f"{b.name}{b.branch}", "left": None}
                 for b in s.exec(select(Bank).order_by(Bank.code)).all()]
    return {"courses": courses, "programmes": programmes, "fairs": fairs, "banks": banks}


def case_context(no: str) -> dict:
    from onematter.case.lifecycle import get_application
    from onematter.casework.applications import matter_cases
    from onematter.config.db import session_scope
    from onematter.casework.dossier import APPLICATION_STATUS_LABELS, packet_key, kind
    from onematter.case.models import Decision, Event, Person, StaffUser
    from onematter.policy import load_policy
    from onematter.rules.identity import mask_id
    from onematter.rules.workdays import working_days_between
    from onematter.casework.views import application_view
    policy = load_policy()
    day = today()
    with session_scope(readonly=True) as s:
        app_row = _get(s, get_application, no)
        view = application_view(s, app_row)
        person = s.get(Person, app_row.person_id)
        cases = {c.matter: c for c in matter_cases(s, app_row.id)}
        events = s.exec(select(Event).where(Event.application_id == app_row.id).order_by(Event.at, Event.id)).all()
        state = progress(s, app_row)
        missing = state.missing
        decisions = {c.matter: s.exec(select(Decision).where(Decision.matter_case_id == c.id)).first()
                     for c in cases.values()}
        pkey = packet_key(app_row)
        done = not missing and app_row.status in ("completed", "awaiting_decision")
        failed, unfinished, stuck = state.failed, state.unfinished, state.stuck
        run_ids = [e.flow_run_id for e in events if e.flow_run_id]
        staff = {u.username: u.name for u in s.exec(select(StaffUser)).all()}
        rows = []
        for m in view["matters"]:
            spec = matters.spec(m["matter"])
            deadline = dt.date.fromisoformat(m["deadline"])
            is_open = m["status"] in spec.open_statuses
            left = working_days_between(day, deadline, policy) if is_open else None
            d = decisions.get(m["matter"])
            rows.append({"matter": m["matter"], "title": spec.title, "status": m["status"],
                         "label": spec.label(m["status"]), "reason": m["reason"] or "",
                         "deadline": m["deadline"], "left": left, "open": is_open,
                         "overdue": is_open and deadline < day,
                         "decided": f"{d.decided_by} {local(d.decided_at):%Y-%m-%d %H:%M}" if d else ""})
        base = f"/documents/{app_row.application_no}/"
        documents = [{"kind": d["kind"], "title": d["title"], "no": d["document_no"],
                      "url": base + Path(d["path"]).name} for d in view["documents"]
                     if not d["kind"].startswith("packet")]
        packet = next(({"title": d["title"], "url": base + Path(d["path"]).name} for d in view["documents"]
                       if d["kind"] == pkey), None)
        timeline = [{"at": local(e.at).strftime("%Y-%m-%d %H:%M:%S"), "who": _actor(e.actor, staff),
                     "what": _event_text(e)} for e in events]
        return {
            "app": {"no": app_row.application_no, "status": app_row.status,
                    "status_label": APPLICATION_STATUS_LABELS.get(app_row.status, app_row.status),
                    "date": app_row.application_date.isoformat(), "deadline": app_row.deadline.isoformat(),
                    "station": app_row.station, "town": app_row.town, "staff": app_row.staff_name},
            "person": {"name": person.name, "id_masked": mask_id(person.id_number)},
            "matters": rows, "documents": documents, "packet": packet, "done": done, "stuck": stuck,
            "missing": [kind(k).title for k in missing], "timeline": timeline, "failed": failed if unfinished else "",
            "run_url": _run_url(run_ids[-1]) if run_ids else "",
        }


def _actor(actor: str, staff: dict[str, str]) -> str:
    source, _, who = actor.partition(":")
    return {"web": f"{staff.get(who, who)}（工作台）", "cli": f"{who}（命令行）", "prefect-ui": f"{who}（Prefect 审核表单）",
            "flow": "系统（办理流程）", "staff": f"{who}（命令行）", "deadline-watch": "系统（时限监控）",
            "sweep-stuck": "系统（中断续办）"}.get(source, actor)


def _event_text(e) -> str:
    from onematter.casework.dossier import APPLICATION_STATUS_LABELS
    if e.entity == "application":
        label = APPLICATION_STATUS_LABELS.get(e.to_status, e.to_status)
        return f"联办申请：{label}" + (f"（{e.note}）" if e.note else "")
    matter = e.entity.split(":", 1)[-1]
    try:
        spec = matters.spec(matter)
        return f"{spec.title}：{spec.label(e.to_status)}" + (f"（{e.note}）" if e.note else "")
    except matters.UnknownMatter:
        return f"{e.entity}：{e.to_status}"


def _run_url(run_id: str) -> str:
    import os
    base = get_settings().prefect_ui_url or (os.environ.get("PREFECT_API_URL") or "").removesuffix("/api")
    return f"{base.rstrip('/')}/runs/flow-run/{run_id}" if base else ""


def list_context(f: dict) -> dict:
    from onematter.config.db import session_scope
    from onematter.casework.dossier import APPLICATION_STATUS_LABELS
    from onematter.case.models import Application, MatterCase, Person
    from onematter.policy import load_policy
    from onematter.rules.identity import mask_id
    query = select(Application, Person).join(Person, Person.id == Application.person_id)
    if f["status"] in APPLICATION_STATUS_LABELS:
        query = query.where(Application.status == f["status"])
    if f["matter"] in matters.keys():
        query = query.where(Application.id.in_(select(MatterCase.application_id).where(MatterCase.matter == f["matter"])))
    if f["town"]:
        query = query.where(Application.town == f["town"])
    if f["station"]:
        query = query.where(Application.station == f["station"])
    if f["overdue"]:
        query = query.where(Application.deadline < today(), Application.status != "completed")
    for key, op in (("date_from", "__ge__"), ("date_to", "__le__")):
        try:
            day = dt.date.fromisoformat(f[key]) if f[key] else None
        except ValueError:
            day = None
        if day:
            query = query.where(getattr(Application.application_date, op)(day))
    q = f["q"]
    if q:
        if re.fullmatch(r"\d{3}[\dXx]", q):
            query = query.where(Person.id_number.endswith(q.upper()))
        elif re.fullmatch(r"[A-Za-z]+-?\d[\d-]*", q):
            query = query.where(func.upper(Application.application_no).startswith(q.upper()))
        else:
            query = query.where(Person.name.contains(q))
    with session_scope(readonly=True) as s:
        rows = s.exec(query.order_by(Application.application_no.desc()).limit(LIST_LIMIT + 1)).all()
        stations = sorted({st for st in s.exec(select(Application.station).distinct()).all()})
        items = []
        for app_row, person in rows[:LIST_LIMIT]:
            titles = [matters.spec(c.matter).short for c in s.exec(
                select(MatterCase).where(MatterCase.application_id == app_row.id)).all()]
            items.append({"no": app_row.application_no, "name": person.name, "id_masked": mask_id(person.id_number),
                          "date": app_row.application_date.isoformat(), "deadline": app_row.deadline.isoformat(),
                          "status": APPLICATION_STATUS_LABELS.get(app_row.status, app_row.status),
                          "overdue": app_row.deadline < today() and app_row.status != "completed",
                          "town": app_row.town, "station": app_row.station, "matters": "、".join(titles)})
    return {"filters": f, "items": items, "more": len(rows) > LIST_LIMIT, "stations": stations,
            "towns": load_policy().towns, "statuses": APPLICATION_STATUS_LABELS,
            "matter_titles": {s.key: s.title for s in matters.all_specs()}}


def tasks_context(station: str) -> dict:
    from onematter.config.db import session_scope
    from onematter.case.models import Application, StaffTask
    from onematter.casework.staff_tasks import RESULTS
    with session_scope(readonly=True) as s:
        query = select(StaffTask).where(StaffTask.status == "open").order_by(StaffTask.due_on)
        if station != "全部":
            query = query.where(StaffTask.station == station)
        items = []
        for t in s.exec(query).all():
            app_row = s.get(Application, t.application_id) if t.application_id else None
            items.append({"id": str(t.id), "kind": t.kind, "title": t.title, "due": t.due_on.isoformat(),
                          "overdue": t.due_on < today(), "escalated": t.escalated_at is not None,
                          "no": app_row.application_no if app_row else "", "results": RESULTS.get(t.kind, {})})
        stations = sorted(set(s.exec(select(StaffTask.station).distinct()).all()))
    return {"tasks": items, "station": station, "stations": stations}


def decision_queue() -> list[dict]:
    from onematter.config.db import session_scope
    from onematter.case.models import Application, MatterCase, Person
    out = []
    with session_scope(readonly=True) as s:
        for spec in matters.deciding():
            cases = s.exec(select(MatterCase).where(MatterCase.matter == spec.key,
                                                    MatterCase.status == spec.decision.waiting)
                           .order_by(MatterCase.deadline)).all()
            for case in cases:
                app_row = s.get(Application, case.application_id)
                person = s.get(Person, app_row.person_id)
                out.append({"no": app_row.application_no, "matter": spec.key, "title": spec.title,
                            "name": person.name, "deadline": case.deadline.isoformat(),
                            "overdue": case.deadline < today(),
                            "facts": [line.removeprefix("- ").replace("`", "") for line in spec.decision.describe(s, case)],
                            "schedule": _table(spec.decision.board(case))})
    return out


def _table(lines: list[str]) -> dict:
    """A markdown schedule (heading, table) as {heading, head, rows} for the page."""
    rows = [[c.strip().replace("**", "") for c in line.strip("|").split("|")] for line in lines if line.startswith("|")]
    rows = [r for r in rows if not all(set(c) <= set("-: ") for c in r)]
    return {"heading": lines[0] if lines else "", "head": rows[0] if rows else [], "rows": rows[1:]}


def _decisions_error(request: Request, message: str):
    return _page(request, "decisions.html", {"queue": decision_queue(), "error": message}, status=409)


__all__ = ["register", "form_to_intake", "csrf_token"]
