"""Encryption at rest (domain.md §1.5): the data key file, authenticated encryption of columns and
the keyed hash that exact look-ups go through.

The key file (`ONEMATTER_DATA_KEY_FILE`, default `<data dir>/data.key`, 0600) lives outside the
database. It holds one or more keys, the current one first; each key is a pair: a 256-bit
AES-GCM key for the columns and a 256-bit HMAC-SHA-256 key for the look-up hashes. A stored value
reads `<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, so every row says which key sealed it (and
`onematter keys rotate` finds the rows still under an old one); the column's name is the
associated data, so a value moved to another column does not decrypt. A hash is the HMAC of the
value under each key of the file: a look-up asks for any of them, so it finds a row while a
rotation is half done."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, Text
from sqlalchemy.types import TypeDecorator

from onematter.config.settings import get_settings

FORMAT = "onematter-data-keys"
CHECK = b"onematter data key check"


class DataKeyError(Exception):
    """The key file is missing, unreadable, or does not open what is stored (a Chinese message)."""


class KeyFileMissing(DataKeyError):
    pass


@dataclass(frozen=True)
class DataKey:
    id: str
    enc: bytes
    mac: bytes
    created: str

    @classmethod
    def generate(cls) -> "DataKey":
        return cls(id=secrets.token_hex(4), enc=secrets.token_bytes(32), mac=secrets.token_bytes(32),
                   created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    @property
    def check(self) -> str:
        """A value the database keeps for each key: a different file under the same id is caught."""
        return hmac.new(self.mac, CHECK, hashlib.sha256).hexdigest()

    def as_json(self) -> dict:
        return {"id": self.id, "created": self.created,
                "enc": base64.b64encode(self.enc).decode(), "mac": base64.b64encode(self.mac).decode()}


class KeyRing:
    """The keys of one file: the first seals, every one opens."""

    def __init__(self, keys: list[DataKey], path: Path | None = None):
        if not keys:
            raise DataKeyError("数据密钥文件中没有密钥")
        self.keys, self.path = keys, path
        self._by_id = {k.id: k for k in keys}
        self._aead = {k.id: AESGCM(k.enc) for k in keys}

    @property
    def current(self) -> DataKey:
        return self.keys[0]

    def encrypt(self, plain: str, aad: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._aead[self.current.id].encrypt(nonce, plain.encode("utf-8"), aad)
        return f"{self.current.id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, aad: bytes) -> str:
        key_id, _, body = token.partition(":")
        aead = self._aead.get(key_id)
        if aead is None:
            raise DataKeyError(f"数据由密钥 {key_id} 加密，当前密钥文件中没有该密钥（{self.path}）")
        raw = base64.b64decode(body)
        try:
            return aead.decrypt(raw[:12], raw[12:], aad).decode("utf-8")
        except InvalidTag:
            raise DataKeyError(f"数据无法用密钥 {key_id} 解密：密钥文件与数据库不符，或数据被改动") from None

    def key_of(self, token: str | None) -> str | None:
        return token.partition(":")[0] if token else None

    def hashes(self, kind: str, value: str) -> list[str]:
        """The look-up hash of `value` under every key (a rotation half done has rows of each)."""
        return [self._hash(k, kind, value) for k in self.keys]

    def hash(self, kind: str, value: str) -> str:
        return self._hash(self.current, kind, value)

    @staticmethod
    def _hash(key: DataKey, kind: str, value: str) -> str:
        return hmac.new(key.mac, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ the key file


def key_file() -> Path:
    settings = get_settings()
    return settings.data_key_file or settings.data_dir / "data.key"


def read_key_file(path: Path) -> KeyRing:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileMissing(f"未找到数据密钥文件 {path}") from None
    except OSError as exc:
        raise DataKeyError(f"无法读取数据密钥文件 {path}：{exc.strerror}") from None
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError
        keys = [DataKey(id=k["id"], created=k.get("created", ""), enc=base64.b64decode(k["enc"]),
                        mac=base64.b64decode(k["mac"])) for k in data["keys"]]
        if any(len(k.enc) != 32 or len(k.mac) != 32 for k in keys):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise DataKeyError(f"数据密钥文件 {path} 格式不正确（应由 onematter keys init 生成）") from None
    return KeyRing(keys, path)


def write_key_file(path: Path, keys: list[DataKey], *, exclusive: bool = False) -> bool:
    """Written whole to a new 0600 file beside it, flushed, then moved over it: a crash leaves the
    old file or the new one, never half of one. `exclusive`: put in place only where no file is
    (a hard link, which fails on an existing name), so processes making the first key at once
    all end up with the one that got there first. Whether this call's file is the one in place."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = json.dumps({"format": FORMAT, "version": 1, "keys": [k.as_json() for k in keys]}, indent=2)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, body.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    placed = True
    if exclusive:
        try:
            os.link(temp, path)
        except FileExistsError:
            placed = False
        finally:
            os.unlink(temp)
    else:
        os.replace(temp, path)
    _ring_for.cache_clear()
    return placed


def create_key_file(path: Path) -> tuple[KeyRing, bool]:
    """A first key file where none is; (the ring now in the file, whether this call made it).
    Several processes at once (three `init-db` on a new data dir) agree on one key."""
    made = write_key_file(path, [DataKey.generate()], exclusive=True)
    return read_key_file(path), made


@lru_cache(maxsize=8)
def _ring_for(path: str, mtime_ns: int) -> KeyRing:
    return read_key_file(Path(path))


def keyring() -> KeyRing:
    """The key ring of the configured file (read again when the file changes)."""
    path = key_file()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise KeyFileMissing(f"未找到数据密钥文件 {path}") from None
    return _ring_for(str(path), mtime)


# ------------------------------------------------------------------ column types


class _Sealed(TypeDecorator):
    """A column stored sealed (AES-256-GCM), its "table.column" the associated data. (Each
    subclass says `cache_ok` itself: SQLAlchemy reads it from the class, not its bases.)"""

    def __init__(self, aad: str):
        super().__init__()
        self.aad = aad.encode()


class Encrypted(_Sealed):
    """A text column stored sealed."""
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> Any:
        return None if value is None else keyring().encrypt(str(value), self.aad)

    def process_result_value(self, value: Any, dialect) -> Any:
        return None if value is None else keyring().decrypt(value, self.aad)


class EncryptedJSON(_Sealed):
    """A JSON column whose value is stored as one sealed JSON string. A row written before
    migration 0015 (a JSON object) still reads as it is until the migration seals it."""
    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> Any:
        if value is None:
            return None
        return keyring().encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")), self.aad)

    def process_result_value(self, value: Any, dialect) -> Any:
        if isinstance(value, str):
            return json.loads(keyring().decrypt(value, self.aad))
        return value
