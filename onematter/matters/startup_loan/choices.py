"""What the staff page's form offers of the partner banks: every one."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from onematter.matters.startup_loan.models import Bank


def choices(session: Session, day: dt.date) -> dict[str, list[dict]]:
    return {"banks": [{"code": b.code, "label": f"{b.name}{b.branch}", "left": None}
                      for b in session.exec(select(Bank).order_by(Bank.code)).all()]}
