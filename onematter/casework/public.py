"""The veteran's own pages, without an account (电子送达, 办件查询): reached from the receipt's
QR code or the 办结 SMS by the receipt's document number, opened by its 核验码 and the last 4
characters of the applicant's ID number. Wrong answers are counted per document in the database
(every process shares the count): after LIMIT within WINDOW the page refuses until the lock runs
out, whatever is typed. What a page shows after the check is the caller's to keep small."""

from __future__ import annotations

import datetime as dt
import hmac

from sqlmodel import Session, select

from onematter.case.models import Application, Document, Person, Throttle
from onematter.config.settings import local, now

LIMIT = 5
WINDOW = dt.timedelta(minutes=15)


class AccessRefused(Exception):
    """Wrong code or ID digits, or too many tries: a message for the veteran."""


def _throttle(session: Session, key: str) -> Throttle:
    row = session.get(Throttle, key)
    if row is None:
        row = Throttle(key=key, failures=0, since=now())
        session.add(row)
        session.flush()
    return row


def open_by_receipt(session: Session, *, purpose: str, document_no: str, code: str, id_last4: str) -> Application:
    """The application whose receipt is `document_no`, when `code` is that receipt's 核验码 and
    `id_last4` the applicant's last 4 ID characters. AccessRefused otherwise — the same message
    for an unknown number as for a wrong answer (no hint what exists). The caller commits (a
    failure must be counted even though it raises: commit, then re-raise)."""
    number = (document_no or "").strip().upper()[:40]
    row = _throttle(session, f"{purpose}:{number}")
    at = now()
    locked = row.locked_until and local(row.locked_until) > at
    if locked:
        raise AccessRefused(f"错误次数过多，请于 {local(row.locked_until):%H:%M} 后再试，"
                            f"或携带受理回执到受理窗口查询")
    if at - local(row.since) > WINDOW:
        row.failures, row.since = 0, at
    doc = session.exec(select(Document).where(Document.document_no == number, Document.doc_key == "receipt")).first()
    app = session.get(Application, doc.application_id) if doc else None
    person = session.get(Person, app.person_id) if app else None
    given_code = (code or "").strip().upper().replace(" ", "").replace("－", "-")
    given_last4 = (id_last4 or "").strip().upper()[:4]
    ok = (doc is not None and person is not None
          and hmac.compare_digest(given_code.encode(), doc.verification_code.replace(" ", "").encode())
          and hmac.compare_digest(given_last4.encode(), person.id_number[-4:].encode()))
    if ok:
        row.failures = 0
        session.add(row)
        return app
    row.failures += 1
    left = LIMIT - row.failures
    if left <= 0:
        row.locked_until = at + WINDOW
    session.add(row)
    raise AccessRefused("核验码或身份证后4位不正确" + (f"，还可尝试 {left} 次" if left > 0 else
                                               f"。错误次数过多，请于 {local(at + WINDOW):%H:%M} 后再试"))
