"""Staff accounts: window clerks and supervisors who sign in to the staff page.

Passwords are hashed with argon2id by pwdlib (a maintained library). Disabled accounts cannot
sign in. Wrong passwords are slowed by growing delays in `services.staff.sign_in` (per account
and client address), never by locking the account: a guesser must not be able to lock a clerk
out."""

from __future__ import annotations

import re
from functools import lru_cache

from sqlmodel import Session, select

from onematter.policy import load_policy

from onematter.case.forms import clean_text
from onematter.case.models import StaffUser
from onematter.config.settings import now

ROLES = {"window": "窗口人员", "supervisor": "审核人员"}
WRONG = "用户名或密码不正确"
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A refused account operation, in Chinese, naming the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@lru_cache(maxsize=1)
def _hasher():
    from pwdlib import PasswordHash  # lazy: argon2 only when a password is checked or set
    return PasswordHash.recommended()


def add_user(session: Session, *, username: str, name: str, role: str, station: str, password: str) -> StaffUser:
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise AccountError("username", "用户名须为2～32位小写字母、数字或 _ . -，以字母开头")
    if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
        raise AccountError("username", f"用户名 {username} 已存在")
    try:
        name, station = clean_text(name or ""), clean_text(station or "")
    except ValueError as exc:
        raise AccountError("name", f"姓名或网点{exc}") from None
    if not 1 <= len(name) <= 30:
        raise AccountError("name", "姓名须为1～30个字符")
    if not 1 <= len(station) <= 60:
        raise AccountError("station", "网点须为1～60个字符")
    known = load_policy().stations
    if known and station not in known:
        raise AccountError("station", f"不认识的网点“{station[:30]}”；可选：{'、'.join(known)}")
    if role not in ROLES:
        raise AccountError("role", "角色须为 window（窗口人员）或 supervisor（审核人员）")
    if len(password or "") < MIN_PASSWORD:
        raise AccountError("password", f"密码至少{MIN_PASSWORD}位")
    user = StaffUser(username=username, name=name, role=role, station=station,
                     password_hash=_hasher().hash(password))
    session.add(user)
    session.flush()
    return user


def disable_user(session: Session, username: str) -> StaffUser:
    user = session.exec(select(StaffUser).where(StaffUser.username == username.strip().lower())).first()
    if user is None:
        raise AccountError("username", f"用户名 {username} 不存在")
    user.active = False
    session.add(user)
    return user


def authenticate(session: Session, username: str, password: str) -> tuple[StaffUser | None, str]:
    """(the account, "") or (None, why) — the reason does not say which part was wrong, nor
    whether the account exists. Guessing is slowed by the caller (`services.staff.sign_in`)."""
    user = session.exec(select(StaffUser).where(StaffUser.username == (username or "").strip().lower())).first()
    if user is None:
        _hasher().hash(password or "x")          # same cost as a real check: no timing hint
        return None, WRONG
    if not _hasher().verify(password or "", user.password_hash):
        return None, WRONG
    if not user.active:
        return None, "该账号已停用，请联系管理员"
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now()
    session.add(user)
    return user, ""
