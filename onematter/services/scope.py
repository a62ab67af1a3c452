"""Who may see a case, decided once (domain.md §1.2): a window clerk works on the applications of
their own station only — the list, search, case page, print page, documents, materials and tasks;
the centre's supervisors (and the command line, run by the bureau's operators) see every station.
Every read of the staff page goes through here; an application out of reach is not found (no hint
that it exists)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from onematter.case.lifecycle import NotFound, get_application
from onematter.case.models import Application


@dataclass(frozen=True)
class Viewer:
    station: str
    sees_all: bool
    account: str = ""              # who looks (查询留痕): `web:<username>`, `cli:<name>`

    @classmethod
    def of(cls, user) -> "Viewer":
        """A signed-in staff user: a supervisor sees every station, a window clerk their own."""
        return cls(station=user.station, sees_all=user.role == "supervisor", account=f"web:{user.username}")

    def may_see(self, app: Application) -> bool:
        return self.sees_all or app.station == self.station

    def where(self, query, station_column=Application.station):
        """The query narrowed to what this viewer may see."""
        return query if self.sees_all else query.where(station_column == self.station)


EVERYONE = Viewer(station="", sees_all=True)


def visible_application(session: Session, application_no: str, viewer: Viewer) -> Application:
    """The application, if this viewer may see it; NotFound otherwise (the same as none)."""
    app = get_application(session, application_no)
    if not viewer.may_see(app):
        raise NotFound(f"找不到联办申请 {application_no}")
    return app
