"""Verifying a PDF: which application and document it is, or that it is unknown or altered."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from onematter.documents.verification import UNKNOWN, verify_pdf


def verify(session: Session | None, *, path: Path) -> dict:
    """{"result": genuine|altered|unknown, "document_no", "message", …}; no session: nothing is
    stored yet (no schema), so every file is unknown."""
    if session is None:
        return UNKNOWN | {"document_no": None}
    return verify_pdf(session, path)
