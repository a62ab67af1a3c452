"""Rows the benches insert in bulk. A bulk insert runs no mapper events, so a person's keyed
hashes and masked ID are made here as `Person`'s would be (case/models.py `_seal_person`)."""

from __future__ import annotations

import datetime as dt
import uuid


def person_row(ring, i: int, *, born: str, mobile: str, birth: dt.date) -> dict:
    """Person number `i`: ID `<born>` + the number, padded (not a valid check digit: never typed)."""
    from onematter.rules.identity import mask_id
    number, phone = f"{born}{i:07d}X"[:18], f"{mobile}{i:08d}"
    return {"id": uuid.uuid4(), "id_number": number, "id_hash": ring.hash("id", number), "id_masked": mask_id(number),
            "name": f"测试{i % 997}", "mobile": phone, "mobile_hash": ring.hash("mobile", phone),
            "birth_date": birth, "sex": "男", "created_at": dt.datetime.now(dt.timezone.utc)}


def fresh_data_dir(prefix: str, database: str):
    """A new data dir for one bench (its own data key is made there, and a demo seal), its SQLite
    file unless ONEMATTER_DATABASE_URL names another database."""
    import os
    import tempfile
    from pathlib import Path
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["ONEMATTER_DATA_DIR"] = str(work)
    os.environ.pop("ONEMATTER_DATA_KEY_FILE", None)
    os.environ.setdefault("ONEMATTER_DATABASE_URL", f"sqlite:///{work / database}")
    demo_seal(work)
    return work


def demo_seal(work) -> None:
    """The bench's documents sealed as served ones are: a demo seal in its data dir."""
    import os
    os.environ["ONEMATTER_SEAL_DIR"] = str(work / "seal")
    from onematter.config.settings import get_settings
    get_settings.cache_clear()
    from onematter.documents.seal import make_demo
    make_demo()
