"""What the staff page's form offers of the education catalogue: programmes whose registration
window is open on the day."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from onematter.matters.education.models import Programme


def choices(session: Session, day: dt.date) -> dict[str, list[dict]]:
    programmes = [{"code": p.code, "label": f"{p.school} {p.major}（{p.level}，{p.intake}）", "left": None}
                  for p in session.exec(select(Programme).where(Programme.opens <= day, Programme.closes >= day)
                                        .order_by(Programme.code)).all()]
    return {"programmes": programmes}
