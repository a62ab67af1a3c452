"""Staff accounts for the staff page (the CLI's `user` commands): add one, the list, disable one."""

from __future__ import annotations

from sqlmodel import Session, select

from onematter.case.accounts import add_user, disable_user
from onematter.case.models import StaffUser
from onematter.config.db import session_scope


def add(*, username: str, name: str, role: str, station: str, password: str) -> dict:
    """Create an account (its password hashed). Raises AccountError naming the field."""
    with session_scope() as session:
        user = add_user(session, username=username, name=name, role=role, station=station, password=password)
        return {"username": user.username, "name": user.name, "role": user.role, "station": user.station}


def users(session: Session) -> list[dict]:
    """Every account, by username."""
    return [{"username": u.username, "name": u.name, "role": u.role, "station": u.station, "active": u.active}
            for u in session.exec(select(StaffUser).order_by(StaffUser.username)).all()]


def disable(*, username: str) -> dict:
    """The account can no longer sign in; its past actions keep its name. Raises AccountError."""
    with session_scope() as session:
        user = disable_user(session, username)
        return {"username": user.username, "active": user.active}
