"""保存期限 (个人信息保护法 Art. 19, 47; domain.md §1.5; policy `retention`): `years` after a
person's last application closed, their personal data is anonymised — the name reduced to its
surname and 某, the ID and mobile numbers erased (the keyed hash kept only for a person with a
record of a matter a lifetime rule counts, `keep_id_hash_for`), the birth date to its year, the
scans deleted, the stored forms, document contexts, message payloads and delivery details
erased — and the documents archived (the PDFs moved out of service into `archive/`) or deleted.
The applications, their matters and their dates stay, so the monthly statistics of past months
keep their counts; the access log stays as it is (append-only)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, update
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from onematter.case.models import Application, Delivery, Document, Event, MaterialFile, MatterCase, Notification, \
    Person
from onematter.casework import materials
from onematter.config.db import session_scope
from onematter.config.settings import get_settings, local, today
from onematter.policy import Policy, load_policy

# 复姓: the surname is these two characters, not the first one
COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯",
    "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "万俟", "申屠", "澹台", "公羊", "钟离", "闻人", "赫连",
}
# what an anonymised application keeps of its applicant: the categories the statistics count by
KEPT_APPLICANT = ("category", "placement", "education", "town")


def anonymous_name(name: str) -> str:
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    return f"{surname}某" if surname else "某"


def cutoff(day: dt.date, years: int) -> dt.date:
    """The last closing day that is `years` back from `day` (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass
class Due:
    person_id: uuid.UUID
    name: str                      # masked (周*), as any list shows it
    id_masked: str
    last_closed: dt.date
    applications: list[str] = field(default_factory=list)
    documents: int = 0
    materials: int = 0
    keeps_hash: bool = False

    def view(self) -> dict:
        return {"person": self.name, "id_masked": self.id_masked, "last_closed": self.last_closed.isoformat(),
                "applications": self.applications, "documents": self.documents, "materials": self.materials,
                "keeps_id_hash": self.keeps_hash}


def _closed_on(status: str, completed_at: dt.datetime | None, application_date: dt.date) -> dt.date | None:
    if status != "completed":
        return None
    return local(completed_at).date() if completed_at else application_date


def due(session: Session, day: dt.date, policy: Policy) -> list[Due]:
    """The persons due on `day`: not yet anonymised, every application closed, the last one on
    or before the cut-off. Oldest closure first. (Columns only: no stored form is opened.)"""
    from onematter.rules.identity import mask_name
    limit = cutoff(day, policy.retention.years)
    apps: dict[uuid.UUID, list] = {}
    for row in session.exec(select(Application.id, Application.person_id, Application.application_no,
                                   Application.status, Application.completed_at, Application.application_date)
                            .join(Person, Person.id == Application.person_id)
                            .where(Person.anonymised_on.is_(None))).all():
        apps.setdefault(row.person_id, []).append(row)
    found = []
    for person_id, mine in apps.items():
        closed = [_closed_on(a.status, a.completed_at, a.application_date) for a in mine]
        if any(c is None for c in closed) or max(closed) > limit:
            continue
        found.append((person_id, max(closed), mine))
    if not found:
        return []
    out, step = [], 5000
    for start in range(0, len(found), step):           # IN lists of at most 5,000
        part = found[start:start + step]
        ids = [p for p, _, _ in part]
        app_ids = [a.id for _, _, mine in part for a in mine]
        people = {p.id: (p.name, p.id_masked) for p in session.exec(
            select(Person.id, Person.name, Person.id_masked).where(Person.id.in_(ids))).all()}
        docs: dict = {}
        scans: dict = {}
        for doc in session.exec(select(Document.application_id).where(Document.application_id.in_(app_ids),
                                                                      Document.disposed.is_(None))).all():
            docs[doc] = docs.get(doc, 0) + 1
        for scan in session.exec(select(MaterialFile.application_id)
                                 .where(MaterialFile.application_id.in_(app_ids))).all():
            scans[scan] = scans.get(scan, 0) + 1
        kept = set(session.exec(select(MatterCase.application_id).where(
            MatterCase.application_id.in_(app_ids), MatterCase.matter.in_(policy.retention.keep_id_hash_for),
            MatterCase.status == "approved")).all()) if policy.retention.keep_id_hash_for else set()
        for person_id, last, mine in part:
            name, masked = people[person_id]
            out.append(Due(person_id=person_id, name=mask_name(name), id_masked=masked or "",
                           last_closed=last, applications=sorted(a.application_no for a in mine),
                           documents=sum(docs.get(a.id, 0) for a in mine),
                           materials=sum(scans.get(a.id, 0) for a in mine), keeps_hash=any(a.id in kept for a in mine)))
    return sorted(out, key=lambda d: (d.last_closed, str(d.person_id)))


def archive_dir() -> Path:
    path = get_settings().data_dir / "archive"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def anonymise(session: Session, items: list[Due], day: dt.date, policy: Policy) -> tuple[int, set[str]]:
    """These persons' data erased as the policy says, in the caller's transaction, a few
    statements for the whole batch: (how many, the digests of the scans whose rows went). A
    person no longer due (a new application came meanwhile, or another run was first) is left.
    Files are left to `dispose_files`, run after the commit: a failure before it leaves every row
    as it was."""
    limit = cutoff(day, policy.retention.years)
    by_id = {i.person_id: i for i in items}
    apps: dict[uuid.UUID, list[Application]] = {}
    for app in session.exec(select(Application).where(Application.person_id.in_(list(by_id)))).all():
        apps.setdefault(app.person_id, []).append(app)
    people = []
    for person in session.exec(select(Person).where(Person.id.in_(list(by_id)))).all():
        closed = [_closed_on(a.status, a.completed_at, a.application_date) for a in apps.get(person.id, [])]
        if not person.anonymised_on and closed and all(c is not None and c <= limit for c in closed):
            people.append(person)
    if not people:
        return 0, set()
    done = {p.id for p in people}
    mine = [a for p in people for a in apps[p.id]]
    app_ids = [a.id for a in mine]
    numbers = {a.id: a.application_no for a in mine}
    note = (f"保存期限（{policy.retention.years}年）届满：个人信息已匿名化，"
            f"文书已{'归档' if policy.retention.documents == 'archive' else '删除'}")
    for person in people:
        anonymous = anonymous_name(person.name)
        person.name, person.id_number, person.mobile = anonymous, None, None
        person.id_masked, person.mobile_hash = None, None
        if not by_id[person.id].keeps_hash:
            person.id_hash = None
        person.birth_date = person.birth_date.replace(month=1, day=1)
        person.anonymised_on = day
        session.add(person)
        for app in apps[person.id]:
            applicant = app.form.get("applicant") or {}
            app.form = {**{k: v for k, v in app.form.items() if k != "materials"},
                        "applicant": {"name": anonymous, **{k: applicant[k] for k in KEPT_APPLICANT if k in applicant}}}
            session.add(app)
            session.add(Event(application_id=app.id, entity="retention", entity_id=person.id, to_status="anonymised",
                              actor="retention", note=note))
    archive = archive_dir() if policy.retention.documents == "archive" else None
    # the contexts are not opened (deferred): they are replaced whole
    for doc in session.exec(select(Document).options(defer(Document.context))
                            .where(Document.application_id.in_(app_ids), Document.disposed.is_(None))).all():
        if archive:
            doc.disposed, doc.path = "archived", str(archive / numbers[doc.application_id] / Path(doc.path).name)
        else:
            doc.disposed = "deleted"            # the path stays: dispose_files deletes the file there
        doc.context = {}
        session.add(doc)
    removed = set(session.exec(select(MaterialFile.sha256).where(MaterialFile.application_id.in_(app_ids))).all())
    session.execute(delete(MaterialFile).where(MaterialFile.application_id.in_(app_ids)))
    session.execute(update(Notification).where(Notification.person_id.in_(list(done))).values(payload={}, body=None))
    session.execute(update(Delivery).where(Delivery.application_id.in_(app_ids)).values(details={}))
    return len(people), removed


SCAN_GRACE = dt.timedelta(days=1)      # a scan written this recently may still be waiting for its row


def dispose_files(session: Session, removed: set[str] = frozenset()) -> dict:
    """The files of what retention disposed, after its rows are committed (and again on the next
    run, so an interruption is finished): an archived document's PDF moved from the documents
    into the archive, a deleted one's removed; the scans `removed` now, and any other scan no row
    refers to that is older than SCAN_GRACE (a newer one's row may not be committed yet), removed
    unless another application still presents the same file. Counts."""
    moved = deleted = scans = 0
    in_service = get_settings().documents_dir
    # columns only: the contexts are never opened; rows streamed, not held
    for doc in session.exec(select(Document.disposed, Document.path, Application.application_no)
                            .join(Application, Application.id == Document.application_id)
                            .where(Document.disposed.is_not(None)).execution_options(yield_per=5000)):
        app_no = doc.application_no
        if doc.disposed == "archived":
            source, target = in_service / app_no / Path(doc.path).name, Path(doc.path)
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                if target.is_file():
                    source.unlink()
                else:
                    source.replace(target)
                moved += 1
        elif doc.path and Path(doc.path).is_file():
            Path(doc.path).unlink()
            deleted += 1
    referenced = set(session.exec(select(MaterialFile.sha256)).all())
    old = time.time() - SCAN_GRACE.total_seconds()           # the clock, not ONEMATTER_TODAY: file times
    for path in materials.root().glob("??/*"):
        sha = path.name.split(".", 1)[0]
        if sha not in referenced and (sha in removed or path.stat().st_mtime < old):
            path.unlink(missing_ok=True)
            scans += 1
    return {"documents_archived": moved, "documents_deleted": deleted, "scans_deleted": scans}


BATCH = 200          # persons per transaction


def run(*, day: dt.date | None = None, dry_run: bool = False, batch: int = BATCH) -> dict:
    """{day, cutoff, years, documents, dry_run, persons, applications, document_files, scans,
    items: [{person (masked), id_masked, last_closed, applications, documents, materials,
    keeps_id_hash}], done: {anonymised, documents_archived, documents_deleted, scans_deleted}}"""
    day = day or today()
    policy = load_policy()
    with session_scope(readonly=True) as session:
        found = due(session, day, policy)
    result = {"day": day.isoformat(), "cutoff": cutoff(day, policy.retention.years).isoformat(),
              "years": policy.retention.years, "documents": policy.retention.documents, "dry_run": dry_run,
              "persons": len(found), "applications": sum(len(d.applications) for d in found),
              "document_files": sum(d.documents for d in found), "scans": sum(d.materials for d in found),
              "items": [d.view() for d in found]}
    if dry_run:
        return result
    anonymised, removed = 0, set()
    for start in range(0, len(found), batch):
        with session_scope() as session:
            count, gone = anonymise(session, found[start:start + batch], day, policy)
        anonymised += count
        removed |= gone
    with session_scope(readonly=True) as session:
        files = dispose_files(session, removed)
    result["done"] = {"anonymised": anonymised, **files}
    return result
