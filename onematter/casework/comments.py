"""备注: a staff member's comment on a case, kept with its author and station and shown on the
case's timeline; a comment is never edited or deleted (what was said stays said)."""

from __future__ import annotations

import unicodedata

from sqlmodel import Session, select

from onematter.case.forms import FormError
from onematter.case.models import Application, Comment

MAX_COMMENT = 500


def add_comment(session: Session, app: Application, *, text: str, username: str, name: str,
                station: str) -> Comment:
    """Store one comment on `app`; FormError naming `comment` when it is empty or too long."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFC", text or "")
                      if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if not cleaned:
        raise FormError({"comment": "请填写备注内容"})
    if len(cleaned) > MAX_COMMENT:
        raise FormError({"comment": f"备注最多 {MAX_COMMENT} 字，现有 {len(cleaned)} 字"})
    comment = Comment(application_id=app.id, author=username, author_name=name, station=station, text=cleaned)
    session.add(comment)
    session.flush()
    return comment


def comments(session: Session, app: Application) -> list[Comment]:
    """The case's comments, oldest first."""
    return list(session.exec(select(Comment).where(Comment.application_id == app.id)
                             .order_by(Comment.at, Comment.id)).all())
