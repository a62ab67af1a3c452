"""Lists as CSV for the weekly report: UTF-8 with a byte-order mark (Excel opens the Chinese as
it is), one header row in Chinese, the ID numbers masked as the pages show them. A cell that a
spreadsheet would take for a formula (=, +, -, @ first) is written with a leading apostrophe."""

from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _number(text):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def csv_bytes(columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    """`rows` as CSV: `columns` is [(key, header)], in order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([h for _, h in columns])
    for row in rows:
        writer.writerow([_cell(row.get(k)) for k, _ in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
