"""The document number printed on a PDF's first two pages, read in a process of its own.

`number(data)` runs this file as a script (it imports nothing of onematter: start-up is pypdf's
import alone) with the PDF on stdin, under limits of time (`SECONDS`, wall and CPU) and memory
(`MEMORY_MB`): an upload that inflates to gigabytes or loops costs that process, never the
server's. None when nothing is found, or when the limits stop it."""

from __future__ import annotations

import io
import re
import subprocess
import sys

NUMBER = re.compile(r"[A-Z]{2,16}-\d{8}-\d{4}-\d{2}")
SECONDS = 5.0
MEMORY_MB = 512


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


def _limits() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MB << 20, MEMORY_MB << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (int(SECONDS) + 1, int(SECONDS) + 1))


def number(data: bytes) -> str | None:
    """`read(data)` in a child process under the limits."""
    try:
        done = subprocess.run([sys.executable, "-I", __file__], input=data, capture_output=True,
                              timeout=SECONDS, preexec_fn=_limits)
    except subprocess.TimeoutExpired:
        return None
    found = done.stdout.decode("ascii", "replace").strip()
    return found if done.returncode == 0 and NUMBER.fullmatch(found) else None


if __name__ == "__main__":
    print(read(sys.stdin.buffer.read()) or "")
