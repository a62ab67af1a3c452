"""The outbox (domain.md §4): a message is a row first — one per (person, kind, subject, day) by
its unique key — and is delivered later, at least once, through the channels configured per
audience (Apprise URLs): veterans by the bureau's SMS gateway (a JSON webhook that receives the
outbox id as its idempotency key), staff by DingTalk/WeCom bots or e-mail.

Rules: a veteran who opted out gets nothing (`suppressed`); no non-urgent message to a veteran in
quiet hours (it waits until they end); at most `daily_cap` messages per number per day (the rest
wait for the next morning); a failed attempt is retried with exponential backoff and after
`max_attempts` the message is `failed`, visible to staff. Message bodies stay in our database."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote

import jinja2
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from onematter.case.models import Notification, OptOut, Person
from onematter.case.people import with_id_number, with_mobile
from onematter.config.db import session_scope
from onematter.config.resources import templates_dir
from onematter.config.settings import TZ, get_settings
from onematter.policy import load_policy
from onematter.rules.identity import normalise_id_number

SMS_SEGMENT = 70
STATUS_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "suppressed": "已退订未发送",
                 "scheduled": "未到发送时间"}


def enqueue(session: Session, *, key: str, kind: str, payload: dict, audience: str = "veteran",
            person_id: uuid.UUID | None = None, application_id: uuid.UUID | None = None,
            urgent: bool = False, not_before: dt.datetime | None = None) -> Notification | None:
    """A message, once: None when its key exists already (the day ran before, or a retry)."""
    if session.exec(select(Notification.id).where(Notification.key == key)).first():
        return None
    row = Notification(key=key, kind=kind, payload=payload, audience=audience, person_id=person_id,
                       application_id=application_id, urgent=urgent, next_attempt_at=not_before)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None                      # another process wrote the same key meanwhile
    return row


@lru_cache(maxsize=1)
def _texts():
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "messages")),
                              autoescape=False, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              keep_trailing_newline=False)


def render(kind: str, payload: dict) -> str:
    """The message text from its Chinese text template (templates/messages/<kind>.txt)."""
    centre = load_policy().service_centre
    # the matter's title is written into the payload by whoever enqueues (the outbox knows no matter)
    extra = {"matter_title": payload.get("matter_title") or payload["matter"]} if "matter" in payload else {}
    return _texts().get_template(f"{kind}.txt").render(**{**payload, **extra}, centre_phone=centre.phone,
                                                       centre=get_settings().service_centre).strip()


def segments(text: str) -> int:
    """SMS segments: one up to 70 characters, else 67 per segment (the rest carries the join)."""
    return 1 if len(text) <= SMS_SEGMENT else math.ceil(len(text) / 67)


def _urls(audience: str) -> list[str]:
    s = get_settings()
    raw = s.notify_veteran_urls if audience == "veteran" else s.notify_staff_urls
    return [u for u in raw.replace(",", " ").split() if u]


def _quiet(at: dt.datetime) -> dt.datetime | None:
    """The end of quiet hours when `at` is inside them, else None."""
    start, end = load_policy().followups.quiet_hours
    local = at.astimezone(TZ)
    if local.hour >= start:
        return (local + dt.timedelta(days=1)).replace(hour=end, minute=0, second=0, microsecond=0)
    if local.hour < end:
        return local.replace(hour=end, minute=0, second=0, microsecond=0)
    return None


def _send(urls: list[str], n: Notification, body: str, mobile: str | None) -> str | None:
    """Deliver through every URL not yet done for this message (the channels that took it are
    remembered, so a retry after one channel failed does not send twice on the others); None when
    all have it, else why not."""
    import apprise  # lazy: Apprise only when a message is sent
    done = set(n.payload.get("_delivered") or [])
    title = "" if n.audience == "veteran" else f"[{n.id.hex[:8]}] 一件事联办提醒"
    failed = []
    for index, url in enumerate(urls):
        if index in done:
            continue
        if url.startswith(("json://", "jsons://")):
            extra = f"+X-Idempotency-Key={n.id}&:outbox_id={n.id}&:kind={quote(n.kind)}"
            if mobile:
                extra += f"&:to={mobile}"
            url += ("&" if "?" in url else "?") + extra
        a = apprise.Apprise()
        if not a.add(url):
            failed.append("发送渠道配置无效")
        elif a.notify(title=title, body=body):
            done.add(index)
        else:
            failed.append("发送渠道未确认收到")
    n.payload = {**n.payload, "_delivered": sorted(done)}
    return "；".join(sorted(set(failed))) or None


def deliver_due(at: dt.datetime, *, limit: int = 1000,
                progress: Callable[[float], None] | None = None) -> dict[str, int]:
    """Deliver what is due at `at` (a time, tz-aware). Returns counts by what happened. A batch of
    more than 100 reports its progress (percent, about every 5 %) to `progress`."""
    policy = load_policy().followups
    counts = {"sent": 0, "deferred": 0, "retry": 0, "failed": 0, "suppressed": 0, "no_channel": 0}
    with session_scope(readonly=True) as s:
        due = s.exec(select(Notification.id).where(
            Notification.status == "pending",
            (Notification.next_attempt_at.is_(None)) | (Notification.next_attempt_at <= at))
            .order_by(Notification.created_at, Notification.id).limit(limit)).all()
    report = progress if progress and len(due) > 100 else None
    step = max(1, len(due) // 20)
    for number, nid in enumerate(due):
        if report and number % step == 0:
            report(number / len(due) * 100)
        with session_scope() as s:
            n = s.exec(select(Notification).where(Notification.id == nid).with_for_update(skip_locked=True)).first()
            if n is None or n.status != "pending":
                continue
            outcome = _deliver_one(s, n, at, policy)
            counts[outcome] += 1
            s.add(n)
    if report:
        report(100.0)
    return counts


def _deliver_one(s: Session, n: Notification, at: dt.datetime, policy) -> str:
    person = s.get(Person, n.person_id) if n.person_id else None
    if n.audience == "veteran":
        if person is None:
            n.status, n.last_error = "failed", "无收件人"
            return "failed"
        if s.exec(select(OptOut.id).where(OptOut.person_id == person.id)).first():
            n.status = "suppressed"
            return "suppressed"
        if not n.urgent and (resume := _quiet(at)):
            n.next_attempt_at = resume
            return "deferred"
        day_start = at.astimezone(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
        sent_today = s.exec(select(func.count()).select_from(Notification).where(
            Notification.person_id == person.id, Notification.audience == "veteran", Notification.status == "sent",
            Notification.sent_at >= day_start, Notification.sent_at < day_start + dt.timedelta(days=1))).one()
        if sent_today >= policy.daily_cap:
            n.next_attempt_at = day_start + dt.timedelta(days=1, hours=policy.quiet_hours[1])
            return "deferred"
    urls = _urls(n.audience)
    if not urls:
        n.last_error = "未配置发送渠道（ONEMATTER_NOTIFY_VETERAN_URLS / ONEMATTER_NOTIFY_STAFF_URLS）"
        n.next_attempt_at = at + dt.timedelta(hours=1)
        return "no_channel"
    if n.body is None:
        n.body = render(n.kind, n.payload)
        n.segments = segments(n.body)
    error = _send(urls, n, n.body, person.mobile if person and n.audience == "veteran" else None)
    n.attempts += 1
    if error is None:
        n.status, n.sent_at, n.last_error = "sent", at, None
        return "sent"
    n.last_error = error
    if n.attempts >= policy.max_attempts:
        n.status = "failed"
        return "failed"
    n.next_attempt_at = at + dt.timedelta(seconds=policy.backoff_seconds * 2 ** (n.attempts - 1))
    return "retry"


OPT_OUT_WORDS = {"TD", "T", "N", "退订", "退订短信"}


def opt_out_mobile(session: Session, mobile: str, source: str) -> int:
    """A 退订 reply from a number: every applicant with that number is opted out (no commit)."""
    people = session.exec(select(Person).where(with_mobile(mobile))).all()
    for person in people:
        if not session.exec(select(OptOut).where(OptOut.person_id == person.id)).first():
            session.add(OptOut(person_id=person.id, source=source))
    return len(people)


def opt_out(session: Session, id_number: str, source: str) -> Person:
    person = session.exec(select(Person).where(with_id_number(normalise_id_number(id_number)))).first()
    if person is None:
        raise LookupError("没有该公民身份号码的申请人")
    if not session.exec(select(OptOut).where(OptOut.person_id == person.id)).first():
        session.add(OptOut(person_id=person.id, source=source))
    return person
