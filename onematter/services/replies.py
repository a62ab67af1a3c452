"""A veteran's SMS reply, as the gateway forwards it: 退订 (TD, T, 退订, N) opts every applicant
with that number out of further messages; anything else is acknowledged and ignored."""

from __future__ import annotations

from onematter.config.db import session_scope
from onematter.followups.outbox import OPT_OUT_WORDS, opt_out_mobile


def sms_reply(*, mobile: str, text: str) -> dict:
    """`mobile`: the 11-digit number. {"result": "ignored"} or {"result": "opted_out", "people": n}."""
    if text.strip().upper() not in OPT_OUT_WORDS:
        return {"result": "ignored"}
    with session_scope() as session:
        count = opt_out_mobile(session, mobile, source="sms")
    return {"result": "opted_out", "people": count}
