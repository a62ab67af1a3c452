"""The issued PDFs (/documents/<application no>/<file>.pdf), for signed-in staff only."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from onematter.services import queries
from onematter.web.deps import CurrentUser

router = APIRouter()
SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


@router.get("/documents/{application_no}/{filename}")
def document(application_no: str, filename: str, user: CurrentUser, download: int = 0):
    if not SAFE.match(application_no) or not SAFE.match(filename) or not filename.endswith(".pdf"):
        raise HTTPException(404, "文书不存在")
    path = queries.document_file(application_no=application_no, filename=filename)
    if path is None:
        raise HTTPException(404, "文书不存在")
    return FileResponse(path, media_type="application/pdf",
                        content_disposition_type="attachment" if download else "inline", filename=filename)
