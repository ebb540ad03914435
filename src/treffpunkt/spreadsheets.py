"""CSV files for spreadsheets: the one way treffpunkt writes an export.

Every cell goes through `cell()`, so no export can carry a formula: Excel and
LibreOffice run a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or a
line break, the same) as a formula — `=HYPERLINK(…)` in a registrant's name would
be a live link in the guide's spreadsheet. Such cells get a leading apostrophe, as
OWASP's rule for CSV injection says; the spreadsheet shows the text as it was typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Without a charset: Litestar appends "; charset=utf-8" to every text/* type itself, so
# one written here would be sent twice.
CSV_MEDIA_TYPE = "text/csv"


def cell(value: object) -> str:
    """A value as a spreadsheet cell that is never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_for_excel(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    """UTF-8 with BOM and `;`: what German Excel opens with a double click."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
