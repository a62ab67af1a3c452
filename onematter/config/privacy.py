"""Personal data never leaves in a message: what an error says (a database's own detail line can
quote the value that clashed: `Key (id_number)=(330482…) already exists`) is masked before it is
printed or handed to Prefect."""

from __future__ import annotations

import logging
import os
import re
import stat
import traceback
from pathlib import Path

ID_NUMBER = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")
MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def scrub(text: str) -> str:
    """ID numbers as 330482********1217, mobile numbers as 139****1234."""
    return MOBILE.sub(r"\1****\2", ID_NUMBER.sub(r"\1********\2", text))


def safe_traceback() -> str:
    """The current exception's traceback, masked."""
    return scrub(traceback.format_exc())


class MaskingFilter(logging.Filter):
    """For a logger we do not format ourselves (the web server's): the message and any traceback
    are rendered here, masked, so a database error quoting an ID number is logged masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            record.exc_info = record.exc_text = None
        record.msg, record.args = scrub(text), ()
        return True


# ------------------------------------------------------------------ files at rest
#
# The database file, the documents, the scans, the logs, Prefect's home: this system's files are
# its own user's alone (files 0600, directories 0700). Every `onematter` process sets the umask
# (and the Prefect server, workers and flow-run processes it starts inherit it); `init-db`
# tightens a data directory made by an earlier version.

PRIVATE_UMASK = 0o077


def keep_private() -> None:
    os.umask(PRIVATE_UMASK)


def tighten(root: Path) -> int:
    """Directories under `root` to 0700 and files to 0600 where they are looser and ours; how
    many were changed."""
    changed, uid = 0, os.getuid()
    if not root.is_dir():
        return 0
    for path in [root, *root.rglob("*")]:
        try:
            st = path.lstat()
        except OSError:
            continue
        if st.st_uid != uid or stat.S_ISLNK(st.st_mode):
            continue
        want = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
        if stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(st.st_mode) & want)
            changed += 1
    return changed
