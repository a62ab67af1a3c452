"""The public verification page every QR code points to: by number and code, or an uploaded PDF
(genuine / altered / unknown, showing only the document's title and date). Each client address
is held to a rate (services.limits)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from starlette.concurrency import run_in_threadpool

from onematter.services import limits, queries
from onematter.web.deps import SessionDep, client_address, page, per_client

router = APIRouter()
MAX_UPLOAD = 20 * 1024 * 1024


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, session: SessionDep, no: str = "", code: str = ""):
    if no:
        limits.admit("verify", client_address(request))
    answer = queries.verification(session, document_no=no[:64], code=code[:32]) if no else None
    return page(request, "verify.html", {"no": no[:64], "code": code[:32], "answer": answer})


@router.post("/verify", response_class=HTMLResponse, dependencies=[per_client("verify-upload")])
async def verify_upload(request: Request, session: SessionDep):
    form = await request.form()
    upload = form.get("file")
    answer = {"result": "unknown", "message": "请选择要核验的 PDF 文件"}
    if upload is not None and hasattr(upload, "read"):
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            answer = {"result": "unknown", "message": "文件过大（超过20MB），不是本系统出具的文书"}
        elif data:
            # off the event loop (the PDF itself is read in a limited process of its own): one
            # upload never holds up the server
            answer = await run_in_threadpool(queries.verify_upload, session, data=data)
    return page(request, "verify.html", {"no": "", "code": "", "answer": answer})
