"""The SMS gateway's webhook for a veteran's replies."""

from __future__ import annotations

import hmac
import re

from fastapi import APIRouter, HTTPException, Request

from onematter.config.settings import get_settings
from onematter.services import replies

router = APIRouter()


@router.post("/sms/inbound")
async def sms_inbound(request: Request):
    """The SMS gateway forwards a veteran's reply (JSON or form: `mobile`, `text`), with the
    shared token in `X-Onematter-Token`. 退订 (TD, T, 退订, N) opts every applicant with that
    number out of further messages; anything else is acknowledged and ignored."""
    token = get_settings().sms_inbound_token
    if not token:
        raise HTTPException(404)
    if not hmac.compare_digest(request.headers.get("x-onematter-token", ""), token):
        raise HTTPException(403, "token")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(422, "body") from None
    else:
        body = dict(await request.form())
    if not isinstance(body, dict):
        raise HTTPException(422, "body")
    mobile, text = str(body.get("mobile") or "").strip(), str(body.get("text") or "").strip()
    if not re.fullmatch(r"(\+?86)?1\d{10}", mobile):
        raise HTTPException(422, "mobile")
    return replies.sms_reply(mobile=mobile[-11:], text=text)
