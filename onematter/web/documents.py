"""A small read-only document endpoint for the served stack: the artifacts link here."""

from __future__ import annotations

import re

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

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

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    return app
