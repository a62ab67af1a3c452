"""The issued PDFs (/documents/<application no>/<file>.pdf) and the scans of an application's
materials (/applications/<no>/materials/<sha256>), for signed-in staff only."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from onematter.case.lifecycle import NotFound
from onematter.services import audit, materials, queries
from onematter.services.scope import Viewer
from onematter.web.deps import CurrentUser, SessionDep, said

router = APIRouter()
SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


@router.get("/documents/{application_no}/{filename}")
def document(request: Request, application_no: str, filename: str, user: CurrentUser, session: SessionDep,
             download: int = 0):
    if not SAFE.match(application_no) or not SAFE.match(filename) or not filename.endswith(".pdf"):
        raise HTTPException(404, "文书不存在")
    path = queries.document_file(session, application_no=application_no, filename=filename, viewer=Viewer.of(user))
    if path is None:
        raise HTTPException(404, "文书不存在")
    audit.seen(Viewer.of(user), "document", how=said(request), application_no=application_no, item=filename)
    return FileResponse(path, media_type="application/pdf",
                        content_disposition_type="attachment" if download else "inline", filename=filename)


SHA = re.compile(r"^[0-9a-f]{64}$")


@router.get("/applications/{application_no}/materials/{sha256}")
def scan(request: Request, application_no: str, sha256: str, user: CurrentUser, session: SessionDep):
    """A scan: an image (re-encoded when it was taken, so nothing but pixels) shown inline; a PDF
    only as a download — never rendered from our origin."""
    if not SAFE.match(application_no) or not SHA.match(sha256):
        raise HTTPException(404, "材料不存在")
    try:
        found = materials.scan_file(session, application_no=application_no, sha256=sha256, viewer=Viewer.of(user))
    except NotFound:
        found = None
    if found is None:
        raise HTTPException(404, "材料不存在")
    path, media_type, filename = found
    audit.seen(Viewer.of(user), "material", how=said(request), application_no=application_no, item=sha256[:16])
    inline = media_type.startswith("image/")
    return FileResponse(path, media_type=media_type, content_disposition_type="inline" if inline else "attachment",
                        filename=filename, headers={"X-Content-Type-Options": "nosniff",
                                                    "Cache-Control": "private, no-store"})
