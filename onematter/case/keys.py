"""Which data key this database is sealed with (domain.md §1.5): the key file is read before the
database is opened, and its keys are held against the ones the database has recorded
(`data_keys`), so a process never writes under a key the others do not have, and a key replaced
by `onematter keys rotate` is refused from then on."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from onematter.case.models import DataKeyRecord
from onematter.config.crypto import DataKeyError, KeyFileMissing, KeyRing, create_key_file, key_file, keyring
from onematter.config.settings import get_settings, local, now

HOW_TO_MAKE = ("嵌入式默认配置下，onematter init-db 会在数据目录中生成密钥文件；生产部署请运行 onematter keys init "
               "生成，或设置 ONEMATTER_DATA_KEY_FILE 指向本局的密钥文件")


def registered(engine: Engine) -> list[DataKeyRecord]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("data_keys"):
            return []
    with Session(engine) as session:
        return list(session.exec(select(DataKeyRecord)).all())


def open_for_writing(engine: Engine, *, create: bool) -> tuple[KeyRing, bool]:
    """The key ring, before a command that writes migrates: on a database that has recorded no key
    yet, a missing file at the default place is made when `create` (the embedded default's
    init-db, demo and writing commands). (ring, made)"""
    path = key_file()
    try:
        return keyring(), False
    except KeyFileMissing:
        records = registered(engine)
        if records:
            current = next((r.id for r in records if r.state == "current"), records[0].id)
            raise KeyFileMissing(f"未找到数据密钥文件 {path}，而该数据库中的数据已用密钥 {current} 加密："
                                 "请从备份中恢复该文件，或设置 ONEMATTER_DATA_KEY_FILE 指向它") from None
        if not create or get_settings().data_key_file:
            raise KeyFileMissing(f"未找到数据密钥文件 {path}。{HOW_TO_MAKE}") from None
        return create_key_file(path)


def check(session: Session, ring: KeyRing) -> None:
    """Hold the file's keys against the database's record (and record them on a new database).
    A rotation's first step (the new key first in the file, the old one after it, not yet
    recorded) is recorded here too, so a crash between writing the file and the database loses
    nothing."""
    records = {r.id: r for r in session.exec(select(DataKeyRecord)).all()}
    current = next((r for r in records.values() if r.state == "current"), None)
    key = ring.current
    if key.id in records and records[key.id].state == "retired":
        raise DataKeyError(f"密钥 {key.id} 已于 {_day(records[key.id].retired_at)} 轮换停用，不能再使用："
                        f"请使用轮换后的密钥文件（{ring.path}）")
    if current is None:
        session.add(DataKeyRecord(id=key.id, check=key.check, state="current"))
        session.flush()
        return
    if key.id == current.id:
        if key.check != current.check:
            raise DataKeyError(f"密钥文件 {ring.path} 中的密钥 {key.id} 与数据库登记的不符：请使用本数据库的密钥文件")
        return
    old = next((k for k in ring.keys[1:] if k.id == current.id), None)
    if key.id not in records and old is not None and old.check == current.check:
        current.state = "retiring"
        session.add(DataKeyRecord(id=key.id, check=key.check, state="current"))
        session.flush()
        return
    raise DataKeyError(f"密钥文件 {ring.path}（密钥 {key.id}）不是该数据库所用的密钥（{current.id}）："
                    "请使用本数据库的密钥文件")


def retire(session: Session, key_id: str) -> None:
    record = session.get(DataKeyRecord, key_id)
    record.state, record.retired_at = "retired", now()
    session.add(record)


def _day(at) -> str:
    day = local(at)
    return f"{day.year}年{day.month}月{day.day}日"
