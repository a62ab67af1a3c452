"""What `/health` says of the parts `onematter serve` runs beside the staff page: each part's
state (up, or down and being restarted) and how often serve restarted it. Filled by serve's
supervisor (runtime/serve.py), read by the health route; empty when the staff page runs alone
(then `/health` says only that the page answers)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

_lock = threading.Lock()


@dataclass
class Part:
    label: str
    up: bool = True
    restarts: int = 0
    detail: str = ""
    extra: dict = field(default_factory=dict)


_parts: dict[str, Part] = {}


def register(key: str, label: str) -> None:
    with _lock:
        _parts.setdefault(key, Part(label=label))


def mark(key: str, *, up: bool, detail: str = "", restarted: bool = False) -> None:
    with _lock:
        part = _parts.setdefault(key, Part(label=key))
        part.up, part.detail = up, detail
        part.restarts += 1 if restarted else 0


def report() -> dict:
    """{"status": "ok"} with nothing registered; else the parts, and "degraded" while one is down."""
    with _lock:
        if not _parts:
            return {"status": "ok"}
        parts = {key: {"label": p.label, "up": p.up, "restarts": p.restarts} | ({"detail": p.detail} if p.detail else {})
                 for key, p in sorted(_parts.items())}
    return {"status": "ok" if all(p["up"] for p in parts.values()) else "degraded", "parts": parts}


def clear() -> None:
    with _lock:
        _parts.clear()
