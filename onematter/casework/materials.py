"""The application's one set of materials (一套材料, domain.md §1.1): which items its matters
need (policy `materials`), the scans presented for them (checked by content, stored once,
content-addressed), and what is still missing, matter by matter."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Session, select

from onematter import matters
from onematter.case.forms import FormError
from onematter.case.models import Application, MaterialFile, MatterCase
from onematter.casework.applications import matter_cases, transition
from onematter.config.settings import get_settings, today
from onematter.documents import scans
from onematter.matters.spec import MATERIALS_WAITING
from onematter.policy import Material, load_policy
from onematter.rules.workdays import add_working_days

FIELD = "materials.{}"


def root() -> Path:
    """Where scans are kept: under the data dir, readable by this user only."""
    path = get_settings().data_dir / "materials"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def read(mapping: dict[str, list[str]], base: Path) -> dict[str, list[tuple[str, bytes]]]:
    """The intake's `materials: {<item key>: [paths]}` (paths relative to the intake file), read:
    FormError naming `materials.<key>` for a file that cannot be read or is too large."""
    files: dict[str, list[tuple[str, bytes]]] = {}
    errors: dict[str, str] = {}
    for key, paths in mapping.items():
        field = f"materials.{key}"
        if not paths or not all(p.strip() for p in paths):
            errors[field] = "应为文件路径的列表（相对于申请表文件所在的目录）"
            continue
        files[str(key)] = []
        for name in paths:
            path = (base / name).expanduser()
            try:
                if path.stat().st_size > scans.MAX_FILE:
                    errors[field] = (f"文件“{path.name}”有 {path.stat().st_size / 2**20:.1f} MB，超过每个文件 "
                                     f"{scans.MAX_FILE // 2**20} MB 的上限，请降低扫描分辨率后重新扫描")
                    break
                files[str(key)].append((path.name, path.read_bytes()))
            except (OSError, ValueError):
                errors[field] = f"找不到或无法读取文件“{name}”（路径相对于申请表文件所在的目录）"
                break
    if errors:
        raise FormError(errors)
    return files


def check(files: dict[str, list[tuple[str, bytes]]]) -> dict[str, list[scans.Scan]]:
    """Every file presented, by material key, checked: FormError naming `materials.<key>` for an
    unknown key or a file that is not an acceptable scan (all errors at once), nothing stored."""
    policy = load_policy()
    errors: dict[str, str] = {}
    checked: dict[str, list[scans.Scan]] = {}
    for key, presented in files.items():
        field = FIELD.format(key)
        if policy.material(key) is None:
            errors[field] = f"不认识的材料“{key}”；可提交的材料有：{'、'.join(m.key for m in policy.materials)}"
            continue
        try:
            checked[key] = [scans.check(name, data) for name, data in presented]
        except scans.ScanRefused as exc:
            errors[field] = str(exc)
    if not errors:
        try:
            scans.check_total([s for group in checked.values() for s in group])
        except scans.ScanRefused as exc:
            errors["materials"] = str(exc)
    if errors:
        raise FormError(errors)
    return checked


def attach(session: Session, application_id: uuid.UUID, checked: dict[str, list[scans.Scan]], *, by: str) -> int:
    """Store the checked scans for the application (each file once: the same scan presented again
    for the same material is not added twice). Returns how many were added."""
    have = {(f.item, f.sha256) for f in files_of(session, application_id)}
    added = 0
    for key, group in checked.items():
        for scan in group:
            if (key, scan.sha256) in have:
                continue
            scans.store(root(), scan)
            session.add(MaterialFile(application_id=application_id, item=key, sha256=scan.sha256,
                                     filename=scan.filename, media_type=scan.media_type, pages=scan.pages,
                                     size=len(scan.data), width=scan.width, height=scan.height, added_by=by[:60]))
            have.add((key, scan.sha256))
            added += 1
    session.flush()
    return added


def files_of(session: Session, application_id: uuid.UUID) -> list[MaterialFile]:
    return list(session.exec(select(MaterialFile).where(MaterialFile.application_id == application_id)
                             .order_by(MaterialFile.added_at)).all())


def path_of(file: MaterialFile) -> Path:
    return scans.stored_path(root(), file.sha256, file.media_type)


def needed(matter_keys: list[str]) -> list[Material]:
    """The materials an application with these matters needs, in the policy's order."""
    return [m for m in load_policy().materials if m.needed_for(matter_keys)]


def missing(session: Session, app: Application, matter: str,
            files: list[MaterialFile] | None = None) -> list[Material]:
    """The required materials of one matter with no scan yet (none when the application's
    materials were checked outside the system: an intake file without `materials`)."""
    if not app.materials_tracked:
        return []
    have = {f.item for f in (files if files is not None else files_of(session, app.id))}
    return [m for m in needed([matter]) if m.key not in have]


def names(items: list[Material]) -> str:
    return "、".join(m.name for m in items)


def await_materials(session: Session, case: MatterCase, app: Application, lacking: list[Material], *,
                    actor: str, flow_run_id: str | None) -> None:
    """一次性告知: the case waits in 待补正 for what it lacks, until the correction deadline
    (`correction_days` working days from the application date). What it lacked is kept, as the
    一次性告知书 lists it."""
    policy = load_policy()
    due = add_working_days(app.application_date, policy.correction_days, policy)
    case.details = {**case.details, "materials_noticed": [m.key for m in lacking], "materials_due": due.isoformat()}
    transition(session, case, MATERIALS_WAITING, actor=actor, flow_run_id=flow_run_id,
               note=f"缺少{names(lacking)}，补正期限 {due.isoformat()}")


def complete_waiting(session: Session, app: Application, *, actor: str) -> list[str]:
    """补正 received: each case waiting for materials that now has them all is pending again, its
    committed deadline counted from today (the day it is accepted); the application is processed
    again. Returns the matters that moved on (no commit)."""
    policy = load_policy()
    files = files_of(session, app.id)
    moved = []
    for case in matter_cases(session, app.id):
        if case.status != MATERIALS_WAITING or missing(session, app, case.matter, files):
            continue
        day = today()
        case.deadline = add_working_days(day, matters.spec(case.matter).deadline_days(policy), policy)
        case.details = {**case.details, "materials_complete_on": day.isoformat()}
        transition(session, case, "pending", actor=actor, note="补正材料齐全，受理")
        moved.append(case.matter)
    if moved:
        app.deadline = max(c.deadline for c in matter_cases(session, app.id))
        if app.status != "processing":
            transition(session, app, "processing", actor=actor, note="补正材料齐全，继续办理")
        session.add(app)
        session.flush()
    return moved


def view(session: Session, app: Application, files: list[MaterialFile] | None = None) -> list[dict]:
    """The materials for the JSON view: each needed or presented item with its files."""
    files = files_of(session, app.id) if files is None else files
    keys = [c.matter for c in matter_cases(session, app.id)]
    shown = [m for m in load_policy().materials if m.needed_for(keys) or any(f.item == m.key for f in files)]
    return [{"key": m.key, "name": m.name, "taken": m.taken,
             "files": [{"filename": f.filename, "media_type": f.media_type, "pages": f.pages, "size": f.size,
                        "sha256": f.sha256} for f in files if f.item == m.key]} for m in shown]
