"""What the staff page reads: the form's choices, a returning person, one case (page and live
progress), the list with its filters and search, the tasks, the supervisor's queue, the public
verification, a document's file. Each takes a read-only session and returns plain data (dicts,
lists, strings) that a template or JSON shows as it is; a missing application is NotFound."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, or_
from sqlmodel import Session, select

from onematter import matters
from onematter.case.lifecycle import NotFound
from onematter.case.models import (
    Application, Decision, Document, Event, MatterCase, Person, StaffTask, StaffUser,
)
from onematter.case.people import shown_id, with_id_number, with_mobile
from onematter.casework import delivery
from onematter.casework import materials as casework_materials
from onematter.casework.applications import matter_cases
from onematter.casework.comments import MAX_COMMENT, comments
from onematter.casework.dossier import APPLICATION_STATUS_LABELS, kind, packet_key
from onematter.casework.progress import progress
from onematter.casework.staff_tasks import RESULTS
from onematter.casework.views import application_view
from onematter.config.settings import get_settings, local, today
from onematter.documents.verification import sealed_text, verify_code, verify_pdf
from onematter.matters.spec import MATERIALS_WAITING
from onematter.policy import load_policy
from onematter.rules import EDUCATION_LEVELS
from onematter.rules.workdays import working_days_between
from onematter.services.scope import EVERYONE, Viewer, visible_application

LIST_LIMIT = 100
CATEGORIES = ["义务兵", "军士", "军官"]
PLACEMENTS = ["自主就业", "安排工作", "退休", "转业", "复员"]
DISPOSED = {"archived": "已归档（保存期限届满）", "deleted": "已删除（保存期限届满）"}
PROGRESS_KEYS = ("done", "stuck", "matters", "documents", "packet", "timeline", "run_url")


# ------------------------------------------------------------------ signing in, the form


def staff_user(session: Session, *, username: str) -> StaffUser | None:
    """The active account signed in as `username` (detached from the session), else None."""
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or not user.active:
        return None
    session.expunge(user)
    return user


def catalogue_choices(session: Session, *, day: dt.date | None = None) -> dict[str, list[dict]]:
    """What the form offers from the catalogue on `day` (default today), each matter's own lists
    ({list name: [{code, label, left}]}): courses not yet started with seats left, programmes
    whose window is open, fairs not yet started with room per mode, the partner banks."""
    day = day or today()
    out: dict[str, list[dict]] = {}
    for spec in matters.all_specs():
        if spec.choices is not None:
            out |= spec.choices(session, day)
    return out


def form_context(session: Session) -> dict:
    """Everything the one form offers: the catalogue's choices, the towns, the matters (key and
    title, in the registry's order), the applicant's lists."""
    return {"choices": catalogue_choices(session), "towns": load_policy().towns,
            "specs": [{"key": s.key, "title": s.title} for s in matters.all_specs()],
            "educations": EDUCATION_LEVELS, "categories": CATEGORIES, "placements": PLACEMENTS,
            "materials": [{"key": m.key, "name": m.name, "taken": m.taken, "needed_by": " ".join(m.needed_by)}
                          for m in load_policy().materials if not m.shared]}


def person_lookup(session: Session, *, id_number: str, viewer: Viewer = EVERYONE) -> dict:
    """A returning person's last details for the form, from the last application this viewer may
    see (a clerk: their own station's): {found, applicant}."""
    person = session.exec(select(Person).where(with_id_number(id_number))).first()
    if person is None:
        return {"found": False}
    last = session.exec(viewer.where(select(Application).where(Application.person_id == person.id))
                        .order_by(Application.submitted_at.desc())).first()
    if last is None:
        return {"found": False}
    return {"found": True, "applicant": dict(last.form["applicant"])}


# ------------------------------------------------------------------ one application


def case_context(session: Session, *, application_no: str, viewer: Viewer = EVERYONE) -> dict:
    """The case page: the application, the person (masked), each matter with its deadline and
    working days left, the documents and the packet, the timeline, whether the work stopped and
    why, the Prefect run. Raises NotFound."""
    policy = load_policy()
    day = today()
    app_row = visible_application(session, application_no, viewer)
    view = application_view(session, app_row)
    person = session.get(Person, app_row.person_id)
    cases = {c.matter: c for c in matter_cases(session, app_row.id)}
    events = session.exec(select(Event).where(Event.application_id == app_row.id).order_by(Event.at, Event.id)).all()
    state = progress(session, app_row)
    missing = state.missing
    decisions = {c.matter: session.exec(select(Decision).where(Decision.matter_case_id == c.id)).first()
                 for c in cases.values()}
    pkey = packet_key(app_row)
    done = not missing and app_row.status in ("completed", "awaiting_decision", "awaiting_materials")
    run_ids = [e.flow_run_id for e in events if e.flow_run_id]
    staff = {u.username: u.name for u in session.exec(select(StaffUser)).all()}
    rows = []
    names = {m.key: m.name for m in policy.materials}
    owed = {k for m in view["matters"] for k in m["missing_materials"]}
    for m in view["matters"]:
        spec = matters.spec(m["matter"])
        deadline = dt.date.fromisoformat(m["deadline"])
        is_open = m["status"] in spec.open_statuses
        waiting_materials = m["status"] == MATERIALS_WAITING     # its committed deadline has not started
        left = working_days_between(day, deadline, policy) if is_open and not waiting_materials else None
        d = decisions.get(m["matter"])
        rows.append({"matter": m["matter"], "title": spec.title, "status": m["status"],
                     "label": spec.label(m["status"]),
                     "reason": (f"缺{'、'.join(names[k] for k in m['missing_materials'])}，"
                                f"请于 {m['details'].get('materials_due', '')} 前补正") if waiting_materials else m["reason"] or "",
                     "deadline": m["deadline"], "left": left, "open": is_open and not waiting_materials,
                     "overdue": is_open and not waiting_materials and deadline < day,
                     "deadline_starts": "材料补齐之日起算" if waiting_materials else "",
                     "facts": spec.facts(session, cases[m["matter"]]) if spec.facts else [],
                     "decided": f"{d.decided_by} {local(d.decided_at):%Y-%m-%d %H:%M}" if d else ""})
    base = f"/documents/{app_row.application_no}/"
    # retention moved them out of service (archived) or deleted them: listed, not linked
    disposed = dict(session.exec(select(Document.document_no, Document.disposed).where(
        Document.application_id == app_row.id, Document.disposed.is_not(None))).all())
    documents = [{"kind": d["kind"], "title": d["title"], "no": d["document_no"],
                  "url": base + Path(d["path"]).name, "disposed": DISPOSED.get(disposed.get(d["document_no"]), "")}
                 for d in view["documents"] if not d["kind"].startswith("packet")]
    packet = next(({"title": d["title"], "url": base + Path(d["path"]).name} for d in view["documents"]
                   if d["kind"] == pkey and d["document_no"] not in disposed), None)
    timeline = sorted([{"at": local(e.at).strftime("%Y-%m-%d %H:%M:%S"), "who": _actor(e.actor, staff),
                        "what": _event_text(e), "comment": False} for e in events]
                      + [{"at": local(c.at).strftime("%Y-%m-%d %H:%M:%S"), "who": f"{c.author_name}（{c.station}）",
                          "what": c.text, "comment": True} for c in comments(session, app_row)],
                      key=lambda t: t["at"])
    return {
        "app": {"no": app_row.application_no, "status": app_row.status,
                "status_label": APPLICATION_STATUS_LABELS.get(app_row.status, app_row.status),
                "date": app_row.application_date.isoformat(), "deadline": app_row.deadline.isoformat(),
                "station": app_row.station, "town": app_row.town, "staff": app_row.staff_name},
        "person": {"name": person.name, "id_masked": shown_id(person.id_masked)},
        # retention ran (domain.md §1.5): the documents archived, the scans deleted, nothing to hand over
        "anonymised": f"{person.anonymised_on.year}年{person.anonymised_on.month}月{person.anonymised_on.day}日"
                      if person.anonymised_on else "",
        "deleted": "deleted" in disposed.values(),
        "matters": rows, "documents": documents, "packet": packet, "done": done, "stuck": state.stuck,
        "missing": [kind(k).title for k in missing], "timeline": timeline,
        "materials": _materials(app_row.application_no, view["materials"]),
        # 补正: what each waiting matter lacks and by when (the case page's 补正材料 form)
        "correction": [{"title": matters.spec(m["matter"]).title, "missing": [names[k] for k in m["missing_materials"]],
                        "due": m["details"].get("materials_due", "")}
                       for m in view["matters"] if m["status"] == MATERIALS_WAITING],
        # what can be added: the missing items first (the first one chosen)
        "material_items": sorted([{"key": k, "name": n, "missing": k in owed} for k, n in names.items()],
                                 key=lambda m: not m["missing"]),
        "failed": state.failed if state.unfinished else "", "max_comment": MAX_COMMENT,
        "delivery": delivery.state(session, app_row), "methods": delivery.METHODS, "collectors": delivery.COLLECTORS,
        "run_url": _run_url(run_ids[-1]) if run_ids else "",
    }


def _materials(application_no: str, shown: list[dict]) -> list[dict]:
    """Materials as the pages show them: each file's URL on this page (login required) and
    whether it is an image (shown inline, re-encoded at intake) or a PDF (its page count)."""
    return [{**m, "files": [{**f, "url": f"/applications/{application_no}/materials/{f['sha256']}",
                             "image": f["media_type"].startswith("image/")} for f in m["files"]]} for m in shown]


def case_progress(session: Session, *, application_no: str, viewer: Viewer = EVERYONE) -> dict:
    """The case page's live part (polled as JSON): status, matters, documents, packet, timeline.
    Raises NotFound."""
    ctx = case_context(session, application_no=application_no, viewer=viewer)
    return {"status": ctx["app"]["status"], "status_label": ctx["app"]["status_label"]} | \
        {k: ctx[k] for k in PROGRESS_KEYS}


def _actor(actor: str, staff: dict[str, str]) -> str:
    """Who did it, as the timeline says it (`web:wangjue` → 王珏（工作台）)."""
    source, _, who = actor.partition(":")
    return {"web": f"{staff.get(who, who)}（工作台）", "cli": f"{who}（命令行）", "prefect-ui": f"{who}（Prefect 审核表单）",
            "flow": "系统（办理流程）", "staff": f"{who}（命令行）", "deadline-watch": "系统（时限监控）",
            "sweep-stuck": "系统（中断续办）", "public": "申请人（自助）", "retention": "系统（保存期限）"}.get(source, actor)


def _event_text(e: Event) -> str:
    """What happened, in the matter's own words."""
    if e.entity == "application":
        label = APPLICATION_STATUS_LABELS.get(e.to_status, e.to_status)
        return f"联办申请：{label}" + (f"（{e.note}）" if e.note else "")
    if e.entity.startswith("task:"):
        return f"待办：{e.note}" if e.note else f"待办：{e.to_status}"
    if e.entity == "delivery":
        return ("送达：" if e.to_status == "served" else "送达（已发送）：") + (e.note or "")
    if e.entity == "retention":
        return e.note or "保存期限届满：个人信息已匿名化"
    matter = e.entity.split(":", 1)[-1]
    try:
        spec = matters.spec(matter)
        return f"{spec.title}：{spec.label(e.to_status)}" + (f"（{e.note}）" if e.note else "")
    except matters.UnknownMatter:
        return f"{e.entity}：{e.to_status}"


def _run_url(run_id: str) -> str:
    base = get_settings().prefect_ui_url or (os.environ.get("PREFECT_API_URL") or "").removesuffix("/api")
    return f"{base.rstrip('/')}/runs/flow-run/{run_id}" if base else ""


def document_file(session: Session, *, application_no: str, filename: str, viewer: Viewer = EVERYONE) -> Path | None:
    """An issued PDF of an application this viewer may see, under the documents folder, or None:
    nothing outside it."""
    try:
        visible_application(session, application_no, viewer)
    except NotFound:
        return None
    root = get_settings().documents_dir.resolve()
    path = (root / application_no / filename).resolve()
    return path if root in path.parents and path.is_file() else None


# ------------------------------------------------------------------ lists


LIST_FILTERS = ("status", "matter", "town", "station", "overdue", "date_from", "date_to", "q")


def list_context(session: Session, *, status: str = "", matter: str = "", town: str = "", station: str = "",
                 overdue: str = "", date_from: str = "", date_to: str = "", q: str = "",
                 viewer: Viewer = EVERYONE) -> dict:
    """Finding cases: the newest first (at most LIST_LIMIT), by status, matter, town, station,
    overdue, date range; `q` is a whole ID number (a card reader's), a mobile number, the last four
    of an ID number, an application number's start or part of a name. With the filters as applied
    (the page keeps them in its URL, to bookmark) and the lists they choose from."""
    f = _filters(status=status, matter=matter, town=town, station=station, overdue=overdue, date_from=date_from,
                 date_to=date_to, q=q)
    items = list_rows(session, f, viewer=viewer, limit=LIST_LIMIT + 1)
    stations = sorted({st for st in session.exec(viewer.where(select(Application.station).distinct())).all()})
    return {"filters": f, "items": items[:LIST_LIMIT], "more": len(items) > LIST_LIMIT, "stations": stations,
            "towns": load_policy().towns, "statuses": APPLICATION_STATUS_LABELS, "cards": CARD_LABELS,
            "matter_titles": {s.key: s.title for s in matters.all_specs()},
            "query": urlencode({k: v for k, v in f.items() if v})}


def _filters(**given: str) -> dict:
    return {k: str(given.get(k) or "") for k in LIST_FILTERS} | {"q": str(given.get("q") or "").strip()[:40]}


def list_rows(session: Session, f: dict, *, viewer: Viewer = EVERYONE, limit: int | None = None) -> list[dict]:
    """The cases these filters choose, newest first, as the list and its export show them (masked)."""
    f = _filters(**f)
    # the columns shown only (not the stored form): a 10,000-row export stays light
    query = viewer.where(select(Application.id, Application.application_no, Application.application_date,
                                Application.deadline, Application.status, Application.town, Application.station,
                                Person.name, Person.id_masked).join(Person, Person.id == Application.person_id))
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
        digits = unicodedata.normalize("NFKC", q).replace(" ", "")
        if re.fullmatch(r"\d{17}[\dXx]", digits):                 # what a card reader gives
            query = query.where(with_id_number(digits))
        elif re.fullmatch(r"1[3-9]\d{9}", digits):                  # a mobile number
            query = query.where(with_mobile(digits))
        elif re.fullmatch(r"\d{3}[\dXx]", q):
            query = query.where(Person.id_masked.endswith(q.upper()))
        elif re.fullmatch(r"[A-Za-z]+-?\d[\d-]*", q):
            query = query.where(func.upper(Application.application_no).startswith(q.upper()))
        else:
            query = query.where(Person.name.contains(q))
    query = query.order_by(Application.application_no.desc())
    rows = session.exec(query.limit(limit) if limit else query).all()
    titles = _matter_titles(session, [r.application_no for r in rows],
                            among=None if limit else query.with_only_columns(Application.id).order_by(None))
    day, left = today(), days_left()
    return [{"no": r.application_no, "name": r.name, "id_masked": shown_id(r.id_masked),
             "date": r.application_date.isoformat(), "deadline": r.deadline.isoformat(),
             "status": APPLICATION_STATUS_LABELS.get(r.status, r.status),
             "overdue": r.deadline < day and r.status != "completed",
             "card": card(left(r.deadline) if r.status not in ("completed", "awaiting_materials") else None),
             "town": r.town, "station": r.station, "matters": "、".join(titles.get(r.application_no, []))}
            for r in rows]


def _matter_titles(session: Session, nos: list[str], among=None) -> dict[str, list[str]]:
    """Each application's matters by its number (short titles, in the registry's order): for the
    numbers given, or for every application the select of ids `among` chooses (one query)."""
    order = {k: i for i, k in enumerate(matters.keys())}
    short = {s.key: s.short for s in matters.all_specs()}
    found: dict[str, list[str]] = {}
    query = select(Application.application_no, MatterCase.matter).join(
        Application, Application.id == MatterCase.application_id)
    chunks = [query.where(Application.id.in_(among))] if among is not None else [
        query.where(Application.application_no.in_(nos[start:start + 500])) for start in range(0, len(nos), 500)]
    for chunk in chunks:
        for no, matter in session.exec(chunk).all():
            found.setdefault(no, []).append(matter)
    return {a: [short[m] for m in sorted(ms, key=order.__getitem__)] for a, ms in found.items()}


LIST_COLUMNS = [("no", "申请编号"), ("name", "申请人"), ("id_masked", "身份证号（脱敏）"), ("matters", "申请事项"),
                ("town", "镇街道"), ("station", "受理网点"), ("date", "受理日期"), ("deadline", "承诺办结日期"),
                ("status", "状态"), ("card", "督办")]


def my_work(session: Session, *, user: StaffUser) -> dict:
    """我的待办: the decisions this user holds (认领), their station's open cases by deadline (at
    most LIST_LIMIT) and its open staff tasks."""
    left = days_left()
    claims = []
    for case, app_row in session.exec(_waiting(assignee=user.name)).all():
        n = left(case.deadline)
        claims.append({"no": app_row.application_no, "matter": case.matter, "title": matters.spec(case.matter).title,
                       "deadline": case.deadline.isoformat(), "left": n, "card": card(n), "station": app_row.station})
    query = (select(Application, Person).join(Person, Person.id == Application.person_id)
             .where(Application.station == user.station, Application.status != "completed")
             .order_by(Application.deadline, Application.application_no).limit(LIST_LIMIT + 1))
    rows = session.exec(query).all()
    titles = _matter_titles(session, [a.application_no for a, _ in rows])
    cases = [{"no": a.application_no, "name": p.name, "id_masked": shown_id(p.id_masked),
              "status": APPLICATION_STATUS_LABELS.get(a.status, a.status), "deadline": a.deadline.isoformat(),
              "card": card(left(a.deadline) if a.status != "awaiting_materials" else None),
              "matters": "、".join(titles.get(a.application_no, []))} for a, p in rows[:LIST_LIMIT]]
    tasks = tasks_context(session, station=user.station, viewer=Viewer(station=user.station, sees_all=False))["tasks"]
    return {"claims": claims, "cases": cases, "more": len(rows) > LIST_LIMIT, "tasks": tasks, "cards": CARD_LABELS,
            "station": user.station}


def tasks_context(session: Session, *, station: str, viewer: Viewer = EVERYONE) -> dict:
    """The open staff tasks of a station (`全部`: every station), soonest due first."""
    query = select(StaffTask).where(StaffTask.status == "open").order_by(StaffTask.due_on)
    if not viewer.sees_all:                       # a window clerk: their own station's, whatever was asked
        station = viewer.station
    if station != "全部":
        query = query.where(StaffTask.station == station)
    items = []
    for t in session.exec(query).all():
        app_row = session.get(Application, t.application_id) if t.application_id else None
        overdue = t.due_on < today()
        items.append({"id": str(t.id), "kind": t.kind, "title": t.title, "due": t.due_on.isoformat(),
                      "overdue": overdue, "escalated": t.escalated_at is not None, "station": t.station,
                      "overdue_text": ("已督办" if t.escalated_at else "超期") if overdue else "",
                      "no": app_row.application_no if app_row else "", "results": RESULTS.get(t.kind, {})})
    stations = sorted(set(session.exec(viewer.where(select(StaffTask.station).distinct(), StaffTask.station)).all()))
    return {"tasks": items, "station": station, "stations": stations}


QUEUE_LIMIT = 50


def _waiting(station: str = "", assignee: str = ""):
    """Matters waiting for a supervisor (joined to their application), soonest deadline first."""
    query = (select(MatterCase, Application).join(Application, Application.id == MatterCase.application_id)
             .where(or_(*[(MatterCase.matter == s.key) & (MatterCase.status == s.decision.waiting)
                          for s in matters.deciding()])))
    if station:
        query = query.where(Application.station == station)
    if assignee == "-":
        query = query.where(MatterCase.assignee.is_(None))
    elif assignee:
        query = query.where(MatterCase.assignee == assignee)
    return query.order_by(MatterCase.deadline, Application.application_no, MatterCase.matter)


def decision_queue(session: Session, *, station: str = "", assignee: str = "", limit: int | None = QUEUE_LIMIT) -> dict:
    """按责转办: every matter waiting for a supervisor, whatever station took it, soonest deadline
    first (at most `limit`, of `total`), by station and assignee (`-`: unclaimed) if asked: the
    masked facts, the materials and the year-by-year schedule."""
    query = _waiting(station, assignee)
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    out = []
    day, days = today(), days_left()
    for case, app_row in session.exec(query.limit(limit) if limit else query).all():
        spec = matters.spec(case.matter)
        person = session.get(Person, app_row.person_id)
        needed = {m.key for m in casework_materials.needed([spec.key])}
        shown = [m for m in casework_materials.view(session, app_row) if m["key"] in needed]
        left = days(case.deadline)
        out.append({"no": app_row.application_no, "matter": spec.key, "title": spec.title,
                    "name": person.name, "deadline": case.deadline.isoformat(),
                    "left": left, "card": card(left), "assignee": case.assignee or "",
                    "station": app_row.station,
                    "materials": _materials(app_row.application_no, shown),
                    "overdue": case.deadline < day,
                    "facts": [line.removeprefix("- ").replace("`", "")
                              for line in spec.decision.describe(session, case)],
                    "schedule": _table(spec.decision.board(case))})
    stations = sorted(set(session.exec(select(Application.station).distinct()).all()))
    return {"queue": out, "total": total, "filters": {"station": station, "assignee": assignee},
            "stations": stations, "query": urlencode({k: v for k, v in (("station", station), ("assignee", assignee)) if v})}


def queue_rows(session: Session, *, station: str = "", assignee: str = "") -> list[dict]:
    """The whole queue as its export shows it: one row a matter, no facts."""
    days = days_left()
    rows = session.exec(select(MatterCase, Application, Person).join(Application, Application.id == MatterCase.application_id)
                        .join(Person, Person.id == Application.person_id)
                        .where(MatterCase.id.in_(_waiting(station, assignee).with_only_columns(MatterCase.id).order_by(None)))
                        .order_by(MatterCase.deadline, Application.application_no, MatterCase.matter)).all()
    out = []
    for case, app_row, person in rows:
        left = days(case.deadline)
        out.append({"no": app_row.application_no, "title": matters.spec(case.matter).title, "name": person.name,
                    "id_masked": shown_id(person.id_masked), "station": app_row.station,
                    "assignee": case.assignee or "未认领", "deadline": case.deadline.isoformat(), "left": left,
                    "card": CARD_LABELS.get(card(left), "")})
    return out


QUEUE_COLUMNS = [("no", "申请编号"), ("title", "事项"), ("name", "申请人"), ("id_masked", "身份证号（脱敏）"),
                 ("station", "受理网点"), ("assignee", "认领人"), ("deadline", "承诺办结日期"),
                 ("left", "剩余工作日"), ("card", "督办")]
TASK_COLUMNS = [("due", "应完成日期"), ("title", "待办"), ("station", "网点"), ("no", "申请编号"),
                ("overdue_text", "超期")]


def days_left():
    """Working days from today to a deadline, each distinct deadline counted once (a list of
    10,000 cases has a few dozen deadlines)."""
    policy, day, memo = load_policy(), today(), {}

    def left(deadline: dt.date) -> int:
        if deadline not in memo:
            memo[deadline] = working_days_between(day, deadline, policy)
        return memo[deadline]
    return left


def card(left: int | None) -> str:
    """Electronic supervision (domain.md §1.2): 红牌 when overdue, 黄牌 at ≤ 1 working day left."""
    if left is None:
        return ""
    return "red" if left < 0 else "yellow" if left <= 1 else ""


CARD_LABELS = {"red": "红牌", "yellow": "黄牌"}


def supervisors(session: Session) -> list[str]:
    """The active supervisors' names, to hand a decision to."""
    return [u.name for u in session.exec(select(StaffUser).where(StaffUser.role == "supervisor",
                                                                 StaffUser.active.is_(True))
                                         .order_by(StaffUser.name)).all()]


def _table(lines: list[str]) -> dict:
    """A markdown schedule (heading, table) as {heading, head, rows} for the page."""
    rows = [[c.strip().replace("**", "") for c in line.strip("|").split("|")] for line in lines if line.startswith("|")]
    rows = [r for r in rows if not all(set(c) <= set("-: ") for c in r)]
    return {"heading": lines[0] if lines else "", "head": rows[0] if rows else [], "rows": rows[1:]}


# ------------------------------------------------------------------ public verification


def verification(session: Session, *, document_no: str, code: str) -> dict:
    """/verify by number and code (what the QR code carries): genuine, altered or unknown."""
    return verify_code(session, document_no, code)


def verify_upload(session: Session, *, data: bytes) -> dict:
    """/verify of an uploaded PDF: the verdict, the title and the date only."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return _public(session, verify_pdf(session, Path(fh.name)))


def _public(session: Session, result: dict) -> dict:
    """What /verify shows of a file's verification: the verdict, the title and the date, and the
    seal's signer and time (the bureau's: no personal data) or why it fails."""
    if result["result"] == "genuine" or (result["result"] == "altered" and result.get("document_no")):
        doc = session.exec(select(Document).where(Document.document_no == result["document_no"])).first()
        if doc is not None:
            shown = verify_code(session, doc.document_no, doc.verification_code if result["result"] == "genuine" else "")
            if result["result"] == "altered":
                shown["message"] = result["message"]        # the number, the title and why: nothing personal
            else:
                shown["message"] += sealed_text(result.get("signature"))
            return shown
    return {"result": "unknown", "message": "未找到该文件的登记记录：不是本系统出具的文书，或已被修改"}


def done_today(session: Session, *, id_number: str, matter_keys: list[str]) -> str | None:
    """An application of this person, taken today for the same matters and already finished: its
    number (the staff page shows it before a second one is made), else None."""
    person = session.exec(select(Person).where(with_id_number(id_number))).first()
    if person is None:
        return None
    for app_row in session.exec(select(Application).where(Application.person_id == person.id,
                                                          Application.application_date == today(),
                                                          Application.status == "completed")).all():
        if sorted(c.matter for c in matter_cases(session, app_row.id)) == sorted(matter_keys):
            return app_row.application_no
    return None

