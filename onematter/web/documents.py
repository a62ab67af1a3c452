"""A small read-only document endpoint for the served stack: the artifacts link here."""

from __future__ import annotations

import re

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from markupsafe import escape

from onematter.settings import get_settings

SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


def create_app() -> FastAPI:
    app = FastAPI(title="onematter documents", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/documents/{application_no}/{filename}")
    def document(application_no: str, filename: str) -> FileResponse:
        if not SAFE.match(application_no) or not SAFE.match(filename) or not filename.endswith(".pdf"):
            raise HTTPException(404, "文书不存在")
        root = get_settings().documents_dir.resolve()
        path = (root / application_no / filename).resolve()
        if root not in path.parents or not path.is_file():
            raise HTTPException(404, "文书不存在")
        return FileResponse(path, media_type="application/pdf")

    @app.get("/verify", response_class=HTMLResponse)
    def verify(no: str = "", code: str = "") -> HTMLResponse:
        """The public verification page: the QR code on a document opens it with no= and code=."""
        from onematter.db import session_scope
        from onematter.verification import verify_code
        answer = None
        if no:
            with session_scope(readonly=True) as session:
                answer = verify_code(session, no[:64], code[:32])
        return HTMLResponse(_verify_page(no[:64], code[:32], answer))

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    return app


_VERDICT = {"genuine": ("真实", "#1a7f37"), "altered": ("与登记不符", "#b42318"), "unknown": ("未登记", "#b42318")}


def _verify_page(no: str, code: str, answer: dict | None) -> str:
    result = ""
    if answer:
        word, colour = _VERDICT[answer["result"]]
        result = (f'<p class="verdict" data-result="{answer["result"]}" style="color:{colour}">'
                  f'<strong>{word}</strong></p><p>{escape(answer["message"])}</p>')
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>文书核验</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}}
label{{display:block;margin:.6rem 0 .2rem}}input{{font-size:1rem;padding:.3rem;width:100%}}
button{{margin-top:.8rem;font-size:1rem;padding:.4rem 1.2rem}}.verdict{{font-size:1.4rem}}</style></head>
<body><h1>文书核验</h1><p>输入文书上的文书编号和核验码，核验文书是否由本系统出具、是否被修改。</p>
<form method="get" action="/verify"><label for="no">文书编号</label><input id="no" name="no" value="{escape(no)}">
<label for="code">核验码</label><input id="code" name="code" value="{escape(code)}">
<button type="submit">核验</button></form>{result}</body></html>"""
