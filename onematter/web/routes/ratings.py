"""好差评 on the staff page: this month's figures per station and the latest ratings (a window
clerk: their own station's)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from onematter.services import ratings
from onematter.services.scope import Viewer
from onematter.web.deps import CurrentUser, page

router = APIRouter()


@router.get("/ratings", response_class=HTMLResponse)
def ratings_page(request: Request, user: CurrentUser):
    viewer = Viewer.of(user)
    return page(request, "ratings.html", {"figures": ratings.month_figures(viewer=viewer), "levels": ratings.LEVELS,
                                          "items": ratings.listing(viewer=viewer, limit=100)})
