"""OWASP's rule for CSV injection, cell by cell."""

from __future__ import annotations

import csv
import io

import pytest

from treffpunkt.spreadsheets import cell, csv_for_excel


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+49 6251 1234", "'+49 6251 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Olena =1", "Olena =1"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_cells_that_would_start_a_formula_get_an_apostrophe(value: object, written: str) -> None:
    assert cell(value) == written


def test_a_csv_reader_gets_back_exactly_the_neutralised_cells() -> None:
    content = csv_for_excel(["Name", "Notiz"], [["=cmd", 'a;"b"\r\nc'], ["\r@x", None]])
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [["Name", "Notiz"], ["'=cmd", 'a;"b"\r\nc'], ["'\r@x", ""]]
