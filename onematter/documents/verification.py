"""`onematter verify`: which application and document a PDF is, or that it is unknown/altered."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlmodel import Session, select

from onematter.case.models import Application, Document
from onematter.config.settings import local
from onematter.documents import pdfnumber, seal

UNKNOWN = {"result": "unknown", "message": "未找到该文件的登记记录：不是本系统出具的文书，或已被修改"}


def verify_pdf(session: Session, path: Path) -> dict:
    """A PDF file: genuine (the file as issued, or a copy sealed at another time whose signature
    holds and whose content is the registered one), altered (its number is registered but the
    signature is broken or the content differs) or unknown. A sealed document's signer and
    signing time are given with the answer."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    doc = session.exec(select(Document).where(Document.pdf_sha256 == digest)).first()
    if doc:       # one of our own files, byte for byte: its signature is read here
        return _genuine(session, doc, seal.check(data) if doc.sealed else {"signed": False})
    trust = seal.seal_dir() / seal.TRUST_FILE
    found = pdfnumber.inspect(data, str(trust) if trust.is_file() else None)   # an upload is anyone's
    number, sig = found["number"], found["signature"]
    known = session.exec(select(Document).where(Document.document_no == number)).first() if number else None
    if known is None:
        return UNKNOWN | {"document_no": number}
    if known.sealed and sig.get("signed") and sig.get("intact") and sig.get("trusted") and sig.get("whole") \
            and sig.get("content_sha256") == known.content_sha256:
        return _genuine(session, known, sig)
    if known.sealed and sig.get("signed") and not sig.get("intact"):
        why = "电子签章验证失败：文件在盖章后被改动"
    elif known.sealed and sig.get("signed") and not sig.get("whole"):
        why = "盖章后文件又被追加了内容"
    elif known.sealed and sig.get("signed") and not sig.get("trusted"):
        why = "电子签章不是本局印章所签"
    elif known.sealed and not sig.get("signed"):
        why = "文件上没有本局的电子签章"
    else:
        why = "此文件与登记的文件不一致"
    return {"result": "altered", "document_no": number, "title": known.title, "signature": _signature(sig),
            "message": f"文书编号 {number}（{known.title}）确有登记，但{why}，可能已被修改，请以原件为准"}


def _signature(sig: dict) -> dict | None:
    if not sig.get("signed"):
        return None
    return {"valid": bool(sig.get("intact") and sig.get("trusted") and sig.get("whole")),
            "signer": sig.get("signer"), "signed_at": sig.get("signed_at"), "timestamped": sig.get("timestamped")}


def _genuine(session: Session, doc: Document, sig: dict) -> dict:
    app = session.get(Application, doc.application_id)
    signature = _signature(sig)
    sealed = sealed_text(signature)
    return {"result": "genuine", "application_no": app.application_no, "document_no": doc.document_no,
            "title": doc.title, "verification_code": doc.verification_code, "signature": signature,
            "message": f"真实文书：{doc.title}，文书编号 {doc.document_no}，申请编号 {app.application_no}，"
                       f"核验码 {doc.verification_code}{sealed}"}


def sealed_text(signature: dict | None) -> str:
    """'；电子签章有效，签章人 …，签章时间 …' for a genuine sealed file (the bureau's seal: no personal data)."""
    if not signature:
        return ""
    at = local(dt.datetime.fromisoformat(signature["signed_at"])) if signature["signed_at"] else None
    return f"；电子签章有效，签章人 {_common_name(signature['signer'])}" + (
        f"，签章时间 {at.year}年{at.month}月{at.day}日 {at:%H:%M}" if at else "")


def _common_name(subject: str | None) -> str:
    """'Common Name: X, Organization: …' as pyHanko prints a subject: X."""
    text = subject or ""
    return text.split("Common Name: ", 1)[1].split(",", 1)[0] if "Common Name: " in text else text


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
