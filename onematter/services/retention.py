"""保存期限: the retention run (`onematter retention run`; the `retention` deployment runs the same
function): who is due on a day, and — unless a dry run — each of them anonymised, in batches of
200 persons a transaction, their files disposed after."""

from __future__ import annotations

from onematter.casework.retention import run

__all__ = ["run"]
