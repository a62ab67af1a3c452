"""The data key's use cases: the database opened under its key (every command that writes), a new
key file (`keys init`), what the key is (`keys show`), and `keys rotate`: every sealed value
re-encrypted under a new key in batches, resumable, after which the old key is refused."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Text, cast, func, not_
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select

from onematter.case import keys as case_keys
from onematter.case.models import Application, DataKeyRecord, Delivery, Document, Notification, Person
from onematter.config.crypto import DataKey, DataKeyError, KeyFileMissing, create_key_file, key_file, keyring, \
    write_key_file
from onematter.config.db import get_engine, init_db, session_scope

# every sealed column: (model, its attributes that are sealed, the column that says which key, JSON?)
SEALED = (
    (Person, ("id_number", "mobile"), Person.__table__.c.id_cipher, False),
    (Application, ("form",), Application.__table__.c.form, True),
    (Document, ("context",), Document.__table__.c.context, True),
    (Notification, ("payload",), Notification.__table__.c.payload, True),
    (Delivery, ("details",), Delivery.__table__.c.details, True),
)


def prepare(*, create_key: bool = True) -> str | None:
    """Before a command that writes: the key file read (on a new embedded database, made), the
    schema migrated under it, the key held against the database's record. The path of a key file
    made now (to say so), else None."""
    ring, made = case_keys.open_for_writing(get_engine(), create=create_key)
    init_db()
    with session_scope() as session:
        case_keys.check(session, ring)
    return str(ring.path) if made else None


def require_key_file() -> None:
    """The served stack never makes a key: it refuses to start without one, saying how to make it."""
    path = key_file()
    if not path.is_file():
        raise KeyFileMissing(f"未找到数据密钥文件 {path}，服务未启动。{case_keys.HOW_TO_MAKE}")


def check_readable() -> None:
    """Before a command that only reads: the key file is there and is this database's."""
    ring = keyring()
    with session_scope(readonly=True) as session:
        records = session.exec(select(DataKeyRecord)).all()
        if records:
            case_keys.check(session, ring)
            session.rollback()


def init(path=None) -> dict:
    """A new key file where ONEMATTER_DATA_KEY_FILE (or the default) says; never over one."""
    target = path or key_file()
    if target.exists():
        raise DataKeyError(f"数据密钥文件 {target} 已存在，未覆盖")
    ring, made = create_key_file(target)
    if not made:
        raise DataKeyError(f"数据密钥文件 {target} 已存在，未覆盖")
    return {"path": str(target), "key_id": ring.current.id}


def show() -> dict:
    ring = keyring()
    with session_scope(readonly=True) as session:
        records = {r.id: r for r in session.exec(select(DataKeyRecord)).all()}
        counts = _counts(session, ring.current.id)
    return {"path": str(ring.path),
            "keys": [{"id": k.id, "created": k.created,
                      "state": records[k.id].state if k.id in records else "unrecorded"} for k in ring.keys],
            "retired": sorted(r.id for r in records.values() if r.state == "retired"),
            "rows_under_other_keys": counts}


def _under_other_key(column, json: bool, key_id: str):
    prefix = f'"{key_id}:%' if json else f"{key_id}:%"
    return not_(cast(column, Text).like(prefix))


def _counts(session: Session, key_id: str) -> dict:
    return {model.__tablename__: session.exec(select(func.count()).select_from(model).where(
        _under_other_key(column, json, key_id))).one() for model, _, column, json in SEALED}


@dataclass
class Progress:
    table: str
    done: int
    total: int
    rate: float


def rotate(*, batch: int = 1000, echo: Callable[[Progress], None] | None = None) -> dict:
    """Re-encrypt every sealed value under a new key. The new key is written first, in front of
    the old one (so every process can still open both); each batch of rows is re-sealed and
    committed; at the end the old key is recorded as retired and taken out of the file. Run again
    after an interruption, it goes on from where it stopped."""
    ring = keyring()
    with session_scope() as session:
        case_keys.check(session, ring)
        records = {r.id: r for r in session.exec(select(DataKeyRecord)).all()}
    retiring = [k for k in ring.keys[1:] if records.get(k.id) and records[k.id].state == "retiring"]
    if not retiring:                                   # a new rotation: the new key first in the file
        new = DataKey.generate()
        write_key_file(ring.path, [new, *ring.keys])
        ring = keyring()
        with session_scope() as session:
            case_keys.check(session, ring)             # records it: new current, old retiring
    new_id = ring.current.id
    started, rows = time.monotonic(), 0
    for model, attrs, column, json in SEALED:
        with session_scope(readonly=True) as session:
            total = session.exec(select(func.count()).select_from(model).where(
                _under_other_key(column, json, new_id))).one()
        done, last = 0, None
        while True:
            with session_scope() as session:
                query = select(model).where(_under_other_key(column, json, new_id)).order_by(model.id).limit(batch)
                if last is not None:
                    query = query.where(model.id > last)
                found = session.exec(query).all()
                if not found:
                    break
                for row in found:
                    for attr in attrs:
                        if getattr(row, attr) is not None:
                            flag_modified(row, attr)
                    session.add(row)
                last = found[-1].id
            done += len(found)
            rows += len(found)
            if echo:
                echo(Progress(model.__tablename__, done, total, rows / max(time.monotonic() - started, 1e-6)))
    with session_scope() as session:
        left = _counts(session, new_id)
        if any(left.values()):
            raise DataKeyError(f"仍有数据未用新密钥加密：{left}，请再次运行 onematter keys rotate")
        old_ids = [k.id for k in ring.keys[1:]]
        for key_id in old_ids:
            if session.get(DataKeyRecord, key_id):
                case_keys.retire(session, key_id)
    write_key_file(ring.path, [ring.current])
    return {"key_id": new_id, "retired": old_ids, "rows": rows,
            "seconds": round(time.monotonic() - started, 2),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


__all__ = ["DataKeyError", "KeyFileMissing", "prepare", "require_key_file", "check_readable", "init", "show", "rotate", "Progress"]
