"""Liveness, for `onematter serve` and load balancers: the page answers, and under serve each
part it runs (the Prefect server, each warm worker) with its state and restarts."""

from __future__ import annotations

from fastapi import APIRouter

from onematter.config import health as parts

router = APIRouter()


@router.get("/health")
def health() -> dict:
    """200 while the page answers (it does, whatever else is down): "ok", or "degraded" naming
    the part that is down."""
    return parts.report()
