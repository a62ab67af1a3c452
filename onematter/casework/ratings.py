"""好差评 (domain.md §1.4; 国办发〔2019〕51号): after 办结 the applicant rates the service once, on
a public page bound to the application by the 办结通知书's number and 核验码. Five levels; 不满意
and 非常不满意 (差评) need a reason and open a 整改 task for the station that took the application,
due in `rating.rectify_days` working days, whose result records the 整改 and the 回访 (escalated
like any task when overdue). The figures per station: ratings, 好评率 (非常满意 + 满意 as a share),
差评 and 整改率 (差评 whose task is done, as a share)."""

from __future__ import annotations

import datetime as dt
import hmac
import unicodedata

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from onematter.case.forms import FormError
from onematter.case.models import Application, Document, Rating, StaffTask
from onematter.config.settings import TZ, today
from onematter.matters.spec import TaskKind
from onematter.policy import load_policy
from onematter.rules.workdays import add_working_days

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
GOOD, BAD = {5, 4}, {2, 1}
REASONS = {"efficiency": "办事效率", "attitude": "服务态度", "explanation": "政策解释", "materials": "材料要求",
           "other": "其他"}
MAX_TEXT = 300
RECTIFY = TaskKind("rectify", {"rectified": "已整改，已回访", "explained": "已解释说明，已回访",
                               "unreachable": "回访未联系上（已整改）"},
                   note_required="请在备注中写明整改情况和回访结果")


class RatingRefused(Exception):
    """The page cannot take a rating: unknown or altered notice, rated already."""


def completion_of(session: Session, document_no: str, code: str) -> tuple[Document, Application]:
    """The 办结通知书 with this number and code, and its application; RatingRefused otherwise."""
    number = (document_no or "").strip().upper()[:40]
    given = (code or "").strip().upper().replace(" ", "")[:20]
    doc = session.exec(select(Document).where(Document.document_no == number, Document.doc_key == "completion")).first()
    if doc is None or not hmac.compare_digest(given.encode(), doc.verification_code.encode()):
        raise RatingRefused("评价链接无效：请扫描办结通知书上的二维码，或打开办结短信中的链接")
    return doc, session.get(Application, doc.application_id)


def existing(session: Session, app: Application) -> Rating | None:
    return session.exec(select(Rating).where(Rating.application_id == app.id)).first()


def rate(session: Session, *, document_no: str, code: str, level: int | str | None, reasons: list[str],
         text: str = "") -> Rating:
    """Store the one rating (FormError naming `level`, `reasons` or `text`; RatingRefused when
    the link is wrong or it was rated already); a 差评 opens its 整改 task in the same unit."""
    doc, app = completion_of(session, document_no, code)
    if existing(session, app) is not None:
        raise RatingRefused("本次办件已评价，感谢您的反馈。每件办件只能评价一次")
    errors: dict[str, str] = {}
    try:
        value = int(level) if level not in (None, "") else None
    except (TypeError, ValueError):
        value = None
    if value not in LEVELS:
        errors["level"] = "请选择满意程度：非常满意、满意、基本满意、不满意或非常不满意"
    chosen = [r for r in REASONS if r in set(reasons or [])]
    if set(reasons or []) - set(REASONS):
        errors["reasons"] = f"不满意的原因应从{'、'.join(REASONS.values())}中选择"
    note = "".join(ch for ch in unicodedata.normalize("NFC", text or "")
                   if ch == "\n" or unicodedata.category(ch)[0] != "C").strip()
    if len(note) > MAX_TEXT:
        errors["text"] = f"意见最多 {MAX_TEXT} 字，现有 {len(note)} 字"
    if value in BAD and not chosen:
        errors["reasons"] = "选择“不满意”或“非常不满意”时，请至少选择一项原因"
    if value in BAD and "other" in chosen and not note:
        errors["text"] = "选择“其他”时请写明具体意见"
    if errors:
        raise FormError(errors)
    row = Rating(application_id=app.id, station=app.station, level=value, reasons=chosen if value in BAD else [],
                 text=note)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:                      # the same application rated meanwhile, elsewhere
        raise RatingRefused("本次办件已评价，感谢您的反馈。每件办件只能评价一次") from None
    if value in BAD:
        days = load_policy().rating.rectify_days
        why = "、".join(REASONS[r] for r in chosen)
        task = StaffTask(key=f"rectify:{app.id}", kind=RECTIFY.kind, station=app.station,
                         title=f"差评整改：{app.application_no}（{LEVELS[value]}：{why}）" + (f"，“{note[:60]}”" if note else ""),
                         application_id=app.id, person_id=app.person_id, subject={"rating": row.id},
                         due_on=add_working_days(today(), days, load_policy()))
        session.add(task)
        session.flush()
        row.task_id = task.id
        session.add(row)
    return row


def view(session: Session, row: Rating) -> dict:
    app = session.get(Application, row.application_id)
    task = session.get(StaffTask, row.task_id) if row.task_id else None
    return {"application_no": app.application_no, "station": row.station, "level": row.level,
            "level_label": LEVELS[row.level], "reasons": [REASONS[r] for r in row.reasons], "text": row.text,
            "at": row.at.isoformat(),
            "task": None if task is None else {"id": str(task.id), "status": task.status, "due_on": task.due_on.isoformat(),
                                               "result": task.result.get("label"), "note": task.result.get("note"),
                                               "done_by": task.done_by, "escalated": task.escalated_at is not None}}


def listing(session: Session, *, station: str = "", limit: int | None = None) -> list[dict]:
    """Ratings, the newest first (of one station if given)."""
    query = select(Rating).order_by(Rating.at.desc(), Rating.id.desc())
    if station:
        query = query.where(Rating.station == station)
    return [view(session, r) for r in session.exec(query.limit(limit) if limit else query).all()]


def figures(session: Session, start: dt.date, end: dt.date, *, station: str = "") -> dict[str, dict]:
    """Per station, ratings given in [start, end): {station: {ratings, good, good_rate, bad,
    rectified, rectify_rate, by_level}} — counted by the database."""
    start_at = dt.datetime(start.year, start.month, start.day, tzinfo=TZ)
    end_at = dt.datetime(end.year, end.month, end.day, tzinfo=TZ)
    query = (select(Rating.station, Rating.level, func.count(), func.count(StaffTask.id))
             .join(StaffTask, (StaffTask.id == Rating.task_id) & (StaffTask.status == "done"), isouter=True)
             .where(Rating.at >= start_at, Rating.at < end_at).group_by(Rating.station, Rating.level))
    if station:
        query = query.where(Rating.station == station)
    out: dict[str, dict] = {}
    for st, level, n, done in session.exec(query).all():
        f = out.setdefault(st, {"ratings": 0, "good": 0, "bad": 0, "rectified": 0, "by_level": {v: 0 for v in LEVELS.values()}})
        f["ratings"] += n
        f["by_level"][LEVELS[level]] += n
        if level in GOOD:
            f["good"] += n
        if level in BAD:
            f["bad"] += n
            f["rectified"] += done
    for f in out.values():
        f["good_rate"] = round(f["good"] / f["ratings"] * 100, 1) if f["ratings"] else None
        f["rectify_rate"] = round(f["rectified"] / f["bad"] * 100, 1) if f["bad"] else None
    return dict(sorted(out.items()))
