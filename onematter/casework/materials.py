"""The application's one set of materials (一套材料, domain.md §1.1): which items its matters
need (policy `materials`), the scans presented for them (checked by content, stored once,
content-addressed), and what is still missing, matter by matter."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Session, select

from onematter.case.forms import FormError
from onematter.case.models import Application, MaterialFile
from onematter.casework.applications import matter_cases
from onematter.config.settings import get_settings
from onematter.documents import scans
from onematter.policy import Material, load_policy

FIELD = "materials.{}"


def root() -> Path:
    """Where scans are kept: under the data dir, readable by this user only."""
    path = get_settings().data_dir / "materials"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


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


def view(session: Session, app: Application) -> list[dict]:
    """The materials for the JSON view: each needed or presented item with its files."""
    files = files_of(session, app.id)
    keys = [c.matter for c in matter_cases(session, app.id)]
    shown = [m for m in load_policy().materials if m.needed_for(keys) or any(f.item == m.key for f in files)]
    return [{"key": m.key, "name": m.name, "taken": m.taken,
             "files": [{"filename": f.filename, "media_type": f.media_type, "pages": f.pages, "size": f.size,
                        "sha256": f.sha256} for f in files if f.item == m.key]} for m in shown]
