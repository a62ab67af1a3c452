"""What the staff page's form offers of the training catalogue: courses not yet started, with
the seats left."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

from onematter.matters.training.models import Course, Enrolment


def choices(session: Session, day: dt.date) -> dict[str, list[dict]]:
    enrolled = dict(session.exec(select(Enrolment.course_id, func.count()).where(Enrolment.status == "enrolled")
                                 .group_by(Enrolment.course_id)).all())
    courses = [{"code": c.code, "label": f"{c.trade}（{c.mode}，{c.start.month}月{c.start.day}日开班）",
                "left": max(c.capacity - enrolled.get(c.id, 0), 0)}
               for c in session.exec(select(Course).where(Course.start > day).order_by(Course.start)).all()]
    return {"courses": courses}
