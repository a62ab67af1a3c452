"""查询留痕 (domain.md §1.5): every display of a person's unmasked data or of a document is
recorded — the case page, the print page, a document or a scan, an export, a returning person's
lookup — with the account and station, the person, the application and the item, and how. Rows
are append-only (the database refuses to change them). `person` answers 个人信息保护法 Art. 45:
who has seen this person's data."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlmodel import func, select

from onematter.case.models import AccessLog, Application, MaterialFile, Person
from onematter.case.people import shown_id, with_id_number
from onematter.config.db import session_scope
from onematter.config.settings import TZ, local
from onematter.policy import load_policy
from onematter.rules.identity import mask_name
from onematter.services import exports
from onematter.services.scope import Viewer

WHAT = {"case": "查看办件", "print": "打印文书", "document": "查看或下载文书", "material": "查看申请材料",
        "export": "导出列表", "lookup": "调取申请人信息", "audit": "查看查询留痕"}


def seen(viewer: Viewer, what: str, *, how: str, application_no: str | None = None,
         person_id: uuid.UUID | None = None, id_number: str | None = None, item: str | None = None) -> None:
    """Record one display by this viewer (its own unit of work, after the read)."""
    with session_scope() as session:
        app_id = None
        if id_number:
            found = session.exec(select(Person).where(with_id_number(id_number))).first()
            person_id = found.id if found else None
        if application_no:
            app = session.exec(select(Application).where(Application.application_no == application_no)).first()
            if app is not None:
                app_id, person_id = app.id, app.person_id
        session.add(AccessLog(account=viewer.account or "?", station=viewer.station or "", person_id=person_id,
                              application_id=app_id, item=(item or None) and item[:80], what=what, how=how[:200]))


def person(*, id_number: str) -> dict:
    """Who has seen this person's data: {found, person (masked), rows [{at, account, station,
    what, application_no, item, how}]}, the oldest first."""
    with session_scope(readonly=True) as session:
        found = session.exec(select(Person).where(with_id_number(id_number))).first()
        if found is None:
            return {"found": False, "rows": []}
        rows = session.exec(select(AccessLog).where(AccessLog.person_id == found.id)
                            .order_by(AccessLog.at, AccessLog.id)).all()
        return {"found": True, "person": {"name": found.name, "id_masked": shown_id(found.id_masked)},
                "rows": _rows(session, list(rows))}


# ------------------------------------------------------------------ the log, for supervisors

SHOWN = 200
COLUMNS = [("at", "时间"), ("account", "账号"), ("station", "网点"), ("what_label", "操作"),
           ("person", "申请人"), ("application_no", "申请编号"), ("item", "文书或材料"), ("how", "请求或命令")]


@dataclass(frozen=True)
class LogFilter:
    """What the supervisor's 查询留痕 page filters by (all optional, kept in the URL)."""
    account: str = ""
    station: str = ""
    what: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def parse(cls, *, account: str = "", station: str = "", what: str = "", since: str = "", until: str = "") -> "LogFilter":
        """From the query string; a malformed date is refused naming the field (ValueError)."""
        def day(text: str, label: str) -> dt.date | None:
            text = text.strip()[:10]
            if not text:
                return None
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{label}应为日期，如 2026-12-01") from None
        return cls(account=account.strip()[:40], station=station.strip()[:60],
                   what=what if what in WHAT else "", since=day(since, "开始日期"), until=day(until, "结束日期"))

    def query(self):
        q = select(AccessLog)
        if self.account:
            q = q.where(AccessLog.account == self.account)
        if self.station:
            q = q.where(AccessLog.station == self.station)
        if self.what:
            q = q.where(AccessLog.what == self.what)
        if self.since:
            q = q.where(AccessLog.at >= dt.datetime.combine(self.since, dt.time(), TZ))
        if self.until:
            q = q.where(AccessLog.at < dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), TZ))
        return q


def _rows(session, logs: list[AccessLog]) -> list[dict]:
    people = {p.id: p for p in session.exec(select(Person).where(
        Person.id.in_({r.person_id for r in logs if r.person_id}))).all()} if logs else {}
    nos = {i: no for i, no in session.exec(select(Application.id, Application.application_no).where(
        Application.id.in_({r.application_id for r in logs if r.application_id}))).all()} if logs else {}
    # a scan is logged by its digest (its first 16 hex): shown by the material's name, the
    # digest's start beside it
    shown = {r.application_id for r in logs if r.what == "material" and r.item and r.application_id}
    names = {m.key: m.name for m in load_policy().materials}
    scans = {sha[:16]: names.get(item, item) for sha, item in session.exec(
        select(MaterialFile.sha256, MaterialFile.item).where(MaterialFile.application_id.in_(shown))).all()} \
        if shown else {}
    out = []
    for r in logs:
        p = people.get(r.person_id)
        item = r.item or ""
        if r.what == "material" and item:
            item = f"{scans.get(item[:16], '材料扫描件')}（{item[:8]}）"
        out.append({"at": local(r.at).isoformat(timespec="seconds"), "account": r.account, "station": r.station,
                    "what": r.what, "what_label": WHAT.get(r.what, r.what),
                    "person": f"{mask_name(p.name)}（{shown_id(p.id_masked)}）" if p else "",
                    "application_no": nos.get(r.application_id, ""), "item": item, "how": r.how})
    return out


def log(*, filters: LogFilter, limit: int = SHOWN) -> dict:
    """The newest `limit` rows the filters choose, with the total and the choices for the form;
    persons masked (name and ID), as on every list."""
    with session_scope(readonly=True) as session:
        q = filters.query()
        total = session.exec(select(func.count()).select_from(q.subquery())).one()
        logs = session.exec(q.order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(limit)).all()
        accounts = session.exec(select(AccessLog.account).distinct().order_by(AccessLog.account)).all()
        return {"rows": _rows(session, logs), "total": total, "accounts": accounts, "whats": WHAT}


def log_csv(*, filters: LogFilter) -> tuple[bytes, int]:
    """Every row the filters choose, the oldest first, as CSV (BOM, masked persons); and how many."""
    with session_scope(readonly=True) as session:
        logs = session.exec(filters.query().order_by(AccessLog.at, AccessLog.id)).all()
        rows = _rows(session, logs)
    return exports.csv_bytes(COLUMNS, rows), len(rows)
