"""What every response and request of the staff page goes through, once (issue 21 §4–5):

- a request whose path, query or urlencoded form holds a character no database can store (NUL,
  other C0 controls) is refused with a Chinese message (400) before any route sees it — on the
  anonymous pages too; an urlencoded form larger than MAX_FORM is refused (413);
- every response says `nosniff` and `Referrer-Policy: same-origin`; a page (HTML) adds a
  Content-Security-Policy without inline script (the page's script is /static/app.js), `X-Frame-
  Options: DENY` and `Cache-Control: no-store` (pages carry personal data); anything else (a PDF
  the print page frames) may be framed by our own pages only."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

MAX_FORM = 256 * 1024           # an urlencoded form: the largest the staff page sends is a few KB
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PAGE = ('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>无法完成</title>'
        '<p>{}</p><p><a href="/">返回首页</a></p></html>')


class Hardening:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw_query = scope.get("query_string", b"").decode("latin-1")
        if UNSTORABLE.search(scope.get("path", "")) or UNSTORABLE.search(unquote_plus(raw_query, encoding="utf-8",
                                                                                        errors="replace")):
            return await _refuse(send, 400, "请求中含有无法识别的字符（如空字符），未处理。请检查输入后重试。")
        headers = dict(scope.get("headers") or [])
        if scope["method"] == "POST" and headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded"):
            body, more = b"", True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_FORM:
                    return await _refuse(send, 413, "提交的内容过大，未处理。请减少填写的内容后重试。")
            if UNSTORABLE.search(unquote_plus(body.decode("latin-1"), encoding="utf-8", errors="replace")):
                return await _refuse(send, 400, "提交的内容中含有无法识别的字符（如空字符），未保存。请检查输入后重试。")
            replayed, original = False, receive

            async def receive():                          # noqa: F811 — the body read, given once more
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await original()                   # then what the client does (a disconnect, when it goes)

        async def send_hardened(message):
            if message["type"] == "http.response.start":
                given = [(k.lower(), v) for k, v in message.get("headers", [])]
                kind = dict(given).get(b"content-type", b"")
                ours = {b"x-content-type-options": b"nosniff", b"referrer-policy": b"same-origin"}
                if kind.startswith(b"text/html"):
                    ours |= {b"content-security-policy": CSP.encode(), b"x-frame-options": b"DENY"}
                    if b"cache-control" not in dict(given):
                        ours[b"cache-control"] = b"no-store"
                else:
                    ours[b"x-frame-options"] = b"SAMEORIGIN"
                message = {**message, "headers": [(k, v) for k, v in given if k not in ours and k != b"server"]
                           + list(ours.items())}
            await send(message)

        return await self.app(scope, receive, send_hardened)


async def _refuse(send, status: int, text: str) -> None:
    body = PAGE.format(text).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff"), (b"content-security-policy", CSP.encode()),
                            (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
