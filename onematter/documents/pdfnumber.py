"""What an uploaded PDF says of itself — the document number printed on its first two pages, and
its signature validated against our trust roots — read in a process of its own.

`inspect(data, trust_pem)` runs this file as a script (it imports nothing of onematter: start-up
is pypdf's and, for a signed file, pyHanko's import) with the PDF on stdin, under limits of time
(`SECONDS`, wall and CPU) and memory (`MEMORY_MB`): an upload that inflates to gigabytes or loops
costs that process, never the server's. Nothing found, or the limits hit: no number, not signed."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import threading
import warnings

NUMBER = re.compile(r"[A-Z]{2,16}-\d{8}-\d{4}-\d{2}")
SECONDS = 5.0
MEMORY_MB = 512
# pyHanko imports cryptography's DSA, which warns on import: not a message for a clerk's terminal
warnings.filterwarnings("ignore", message="DSA is deprecated")
_lock = threading.Lock()      # pyHanko's validation is driven by one thread at a time


def read(data: bytes) -> str | None:
    """In this process: the number on the first two pages, if any."""
    from pypdf import PdfReader
    try:
        reader = PdfReader(io.BytesIO(data))
        text = "".join(page.extract_text() or "" for page in reader.pages[:2])
    except Exception:  # noqa: BLE001 — anything unreadable is simply not ours
        return None
    found = NUMBER.search(text.replace(" ", ""))
    return found.group(0) if found else None


def first_revision(data: bytes) -> bytes:
    """The bytes of a PDF's first revision: for a document we sealed, the rendered PDF as it was
    before the signature was appended (so its hash is the content's, whatever the signing time)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    end = reader.xrefs.get_xref_container_info(0).end_location
    eof = data.index(b"%%EOF", end) + 5
    while data[eof:eof + 1] in (b"\r", b"\n"):
        eof += 1
    return data[:eof]


def content_sha256(data: bytes) -> str:
    """The hash of what was rendered: the first revision of a signed PDF, else the whole file."""
    try:
        return hashlib.sha256(first_revision(data)).hexdigest()
    except Exception:  # noqa: BLE001 — not a PDF pyHanko can read: the file as it is
        return hashlib.sha256(data).hexdigest()


def outside_event_loop(call):
    """`call()` — one of pyHanko's synchronous functions, which run their own event loop — in a
    thread of its own when this thread already runs one (an async flow, a web handler)."""
    import asyncio
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def signature(data: bytes, trust) -> dict:
    """The last signature of a PDF validated against `trust` (asn1crypto certificates):
    {"signed", "intact", "trusted", "whole", "signer", "signed_at", "timestamped", "content_sha256"}.
    Intact: the signed bytes are unchanged; whole: nothing was added after it."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 — unreadable: not signed, as far as anyone can tell
        return {"signed": False}
    if not signatures:
        return {"signed": False}
    sig = signatures[-1]
    try:
        with _lock:
            status = outside_event_loop(lambda: validate_pdf_signature(
                sig, ValidationContext(trust_roots=list(trust), allow_fetching=False)))
    except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        return {"signed": True, "intact": False, "trusted": False, "whole": False, "error": str(exc)[:200]}
    stamped = status.timestamp_validity
    signed_at = stamped.timestamp if stamped else status.signer_reported_dt
    return {"signed": True, "intact": bool(status.intact and status.valid), "trusted": bool(status.trusted),
            "whole": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            "signer": status.signing_cert.subject.human_friendly,
            "signed_at": signed_at.isoformat() if signed_at else None,
            "timestamped": stamped is not None, "content_sha256": content_sha256(data)}


def _examine(data: bytes, trust_pem: str | None) -> dict:
    found = {"number": read(data), "signature": {"signed": False}}
    if trust_pem and b"/ByteRange" in data:
        from asn1crypto import pem, x509
        with open(trust_pem, "rb") as fh:
            trust = [x509.Certificate.load(der) for _, _, der in pem.unarmor(fh.read(), multiple=True)]
        found["signature"] = signature(data, trust)
    return found


def _limits() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MB << 20, MEMORY_MB << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (int(SECONDS) + 1, int(SECONDS) + 1))


def inspect(data: bytes, trust_pem: str | None = None) -> dict:
    """`{"number", "signature"}` of `data`, read in a child process under the limits."""
    nothing = {"number": None, "signature": {"signed": False}}
    try:
        done = subprocess.run([sys.executable, "-I", __file__, *([trust_pem] if trust_pem else [])], input=data,
                              capture_output=True, timeout=SECONDS, preexec_fn=_limits)
    except subprocess.TimeoutExpired:
        return nothing
    try:
        found = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1]) if done.returncode == 0 else nothing
    except (ValueError, IndexError):
        return nothing
    number = found.get("number")
    found["number"] = number if isinstance(number, str) and NUMBER.fullmatch(number) else None
    if not isinstance(found.get("signature"), dict):
        found["signature"] = {"signed": False}
    return found


def number(data: bytes) -> str | None:
    """The number alone (`inspect` without a signature check)."""
    return inspect(data)["number"]


if __name__ == "__main__":
    print(json.dumps(_examine(sys.stdin.buffer.read(), sys.argv[1] if len(sys.argv) > 1 else None),
                     ensure_ascii=False))
