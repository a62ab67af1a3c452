"""Recording a staff task's result. The follow-ups create the tasks (each matter its own kinds,
`MatterSpec.tasks`; the core the 回访 visits, followups.tasks); a result is recorded once, checked
against the kind's results and its check, and then does what the kind says — a fair hire starts
the visits, a re-verification changes the incentive's schedule — and when the kind says the
application is due documents now, they are issued here."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from onematter import matters
from onematter.case.models import Event, StaffTask
from onematter.config.settings import now
from onematter.casework.ratings import RECTIFY
from onematter.followups.tasks import VISIT_RESULTS, TaskRefused
from onematter.matters.spec import TaskKind

__all__ = ["RESULTS", "TaskRefused", "complete_task", "find_task", "task_kinds"]

CORE_KINDS = (TaskKind("visit", VISIT_RESULTS), RECTIFY)


def task_kinds() -> dict[str, TaskKind]:
    """Every kind of staff task: the core's and each matter's, by kind."""
    return {t.kind: t for t in CORE_KINDS + tuple(t for s in matters.all_specs() for t in s.tasks)}


# kind → {result → label}: what each kind of task takes (the staff page offers these)
RESULTS: dict[str, dict[str, str]] = {k: t.results for k, t in task_kinds().items()}


def _find(session: Session, task_id: str) -> StaffTask | None:
    try:
        key = uuid.UUID(task_id) if len(task_id) > 8 else None
    except ValueError:
        key = None
    if key:
        return session.get(StaffTask, key)
    # an 8-character prefix, as `tasks list` prints
    matches = [t for t in session.exec(select(StaffTask).where(StaffTask.id.is_not(None))).all()
               if t.id.hex.startswith(task_id.lower())]
    return matches[0] if len(matches) == 1 else None


def find_task(session: Session, task_id: str) -> StaffTask | None:
    """A task by its id or the 8-character prefix `tasks` prints."""
    return _find(session, task_id)


def complete_task(session: Session, task_id: str, *, result: str, by: str, note: str = "",
                  ended: str | None = None, actor: str | None = None) -> StaffTask:
    task = _find(session, task_id)
    if task is None:
        raise TaskRefused(f"找不到待办 {task_id}")
    if task.status == "done":
        raise TaskRefused(f"该待办已由 {task.done_by} 办结，不能重复登记")
    kind = task_kinds().get(task.kind)
    allowed = kind.results if kind else {}
    if allowed and result not in allowed:
        raise TaskRefused(f"结果应为：{'、'.join(f'{k}（{v}）' for k, v in allowed.items())}")
    if not by.strip():
        raise TaskRefused("请填写办理人姓名")
    if kind and kind.note_required and not (note or "").strip():
        raise TaskRefused(kind.note_required)
    if kind and kind.check:
        kind.check(task, result, ended)
    task.status, task.result = "done", {"result": result, "label": allowed.get(result, result), "note": note}
    task.done_by, task.done_at = by.strip()[:60], now()
    session.add(task)
    if task.application_id:
        session.add(Event(application_id=task.application_id, entity=f"task:{task.kind}", entity_id=task.id,
                          from_status="open", to_status="done", actor=actor or f"cli:{task.done_by}",
                          note=f"{task.title}：{allowed.get(result, result)}"))
    if kind and kind.done and kind.done(session, task, result, ended) and task.application_id:
        from onematter.casework.issuing import issue_all
        session.flush()
        issue_all(session, task.application_id)
    session.flush()
    return task
