"""`onematter verify`: which application and document a PDF is, or that it is unknown/altered."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import Session, select

from onematter.case.models import Application, Document
from onematter.config.settings import local
from onematter.documents import pdfnumber

UNKNOWN = {"result": "unknown", "message": "未找到该文件的登记记录：不是本系统出具的文书，或已被修改"}


def verify_pdf(session: Session, path: Path) -> dict:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    doc = session.exec(select(Document).where(Document.pdf_sha256 == digest)).first()
    if doc:
        app = session.get(Application, doc.application_id)
        return {"result": "genuine", "application_no": app.application_no, "document_no": doc.document_no,
                "title": doc.title, "verification_code": doc.verification_code,
                "message": f"真实文书：{doc.title}，文书编号 {doc.document_no}，申请编号 {app.application_no}，"
                           f"核验码 {doc.verification_code}"}
    number = pdfnumber.number(data)       # in a process of its own, limited: an upload is anyone's
    if number:
        known = session.exec(select(Document).where(Document.document_no == number)).first()
        if known:
            return {"result": "altered", "document_no": number, "title": known.title,
                    "message": f"文书编号 {number}（{known.title}）确有登记，但此文件与登记的文件不一致，可能已被修改"}
    return UNKNOWN | {"document_no": number}


def verify_code(session: Session, document_no: str, code: str) -> dict:
    """A document number and verification code as printed (or carried by the QR code): genuine,
    altered (the number is registered with another code) or unknown. Only the document's title
    and date are revealed, never whom it concerns."""
    number = (document_no or "").strip().upper()
    given = (code or "").strip().upper().replace(" ", "")
    doc = session.exec(select(Document).where(Document.document_no == number)).first() if number else None
    if doc is None:
        return {"result": "unknown", "document_no": number,
                "message": "未找到该文书编号：不是本系统出具的文书，或编号有误"}
    issued = (doc.context or {}).get("doc", {}).get("issued_on") or local(doc.created_at).date().isoformat()
    facts = {"document_no": number, "title": doc.title, "issued_on": issued}
    if given == doc.verification_code.replace(" ", ""):
        return {"result": "genuine", **facts, "message": f"真实文书：{doc.title}，出具日期 {_cn(issued)}"}
    return {"result": "altered", **facts,
            "message": f"文书编号 {number}（{doc.title}）确有登记，但核验码不符：文书可能已被修改，请以原件为准"}


def _cn(iso: str) -> str:
    return f"{iso[:4]}年{int(iso[5:7])}月{int(iso[8:10])}日"
