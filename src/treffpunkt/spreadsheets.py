"""CSV and XLSX files for spreadsheets: the one way treffpunkt writes an export.

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
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Without a charset: Litestar appends "; charset=utf-8" to every text/* type itself, so
# one written here would be sent twice.
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def xlsx_workbook(
    header: list[str], rows: Iterable[Iterable[object]], sheet_title: str = "Sheet"
) -> bytes:
    """An Excel workbook of one sheet: a bold header row that stays in view, dates and
    times as real dates (the values are local wall times without a zone), numbers as
    numbers, and columns as wide as their contents (within reason).

    Text is always stored as text: openpyxl would store a string that starts with `=`
    as a formula, so each text cell's type is set explicitly; characters XML cannot
    carry (control characters) are dropped.
    """
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    widths = [len(name) for name in header]
    sheet.append(header)
    for cell_ in sheet[1]:
        cell_.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            target = sheet.cell(row=row_number, column=column)
            if isinstance(value, datetime):
                target.value = value
                target.number_format = "DD.MM.YYYY HH:MM"
                shown = 16
            elif isinstance(value, date):
                target.value = value
                target.number_format = "DD.MM.YYYY"
                shown = 10
            elif isinstance(value, int | float) and not isinstance(value, bool):
                target.value = value
                shown = len(str(value))
            elif value is None:
                continue
            else:
                text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
                target.value = text
                target.data_type = "s"  # never a formula
                shown = max((len(line) for line in text.splitlines()), default=0)
            widths[column - 1] = max(widths[column - 1], shown)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
