"""What the staff page's form offers of the fairs: those not yet started, with the room left
per mode."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

from onematter.matters.job_fair.models import Fair, FairRegistration
from onematter.config.settings import local


def choices(session: Session, day: dt.date) -> dict[str, list[dict]]:
    registered = {(f, m): n for f, m, n in session.exec(
        select(FairRegistration.fair_id, FairRegistration.mode, func.count())
        .where(FairRegistration.status == "registered")
        .group_by(FairRegistration.fair_id, FairRegistration.mode)).all()}
    fairs = []
    for f in session.exec(select(Fair).order_by(Fair.starts_at)).all():
        when = local(f.starts_at)
        if when.date() <= day:
            continue
        left = {"线下": f.capacity_offline - registered.get((f.id, "线下"), 0),
                "线上": f.capacity_online - registered.get((f.id, "线上"), 0)}
        fairs.append({"code": f.code, "label": f"{f.name}（{when.month}月{when.day}日 {when:%H:%M}）",
                      "left": f"线下余{max(left['线下'], 0)}，线上余{max(left['线上'], 0)}"})
    return {"fairs": fairs}
