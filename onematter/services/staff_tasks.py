"""Staff tasks the follow-ups create (fair outcomes, training completion, 回访, re-verification):
the list, and recording a task's result (once)."""

from __future__ import annotations

from sqlmodel import Session, select

from onematter.case.models import StaffTask
from onematter.casework.staff_tasks import TaskRefused, complete_task, find_task
from onematter.config.db import session_scope
from onematter.config.settings import today
from onematter.services.scope import EVERYONE, Viewer


def tasks(session: Session, *, status: str = "open") -> list[dict]:
    """Tasks by due date, `status` open|done (anything else: all); overdue and escalated marked."""
    query = select(StaffTask).order_by(StaffTask.due_on, StaffTask.created_at)
    if status != "all":
        query = query.where(StaffTask.status == status)
    return [{"id": str(t.id), "kind": t.kind, "title": t.title, "station": t.station, "due_on": t.due_on.isoformat(),
             "status": t.status, "overdue": t.status == "open" and t.due_on < today(),
             "escalated": t.escalated_at is not None, "result": t.result, "done_by": t.done_by}
            for t in session.exec(query).all()]


def complete(*, task_id: str, result: str, by: str, note: str = "", ended: str | None = None,
             actor: str | None = None, viewer: Viewer = EVERYONE) -> dict:
    """Record a task's result, by its id or the 8-character prefix `tasks` prints (an event on the
    application; a hire starts the 回访 visits). Raises TaskRefused."""
    with session_scope() as session:
        found = find_task(session, task_id)
        if found is not None and not viewer.sees_all and found.station != viewer.station:
            raise TaskRefused(f"找不到待办 {task_id}")                  # another station's: as if none
        task = complete_task(session, task_id, result=result, by=by, note=note, ended=ended, actor=actor)
        return {"id": str(task.id), "status": task.status, "result": task.result, "done_by": task.done_by}
