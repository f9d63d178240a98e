"""CSV cells that a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import pytest

from kith.web.export import csv_cell, csv_stream


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+84912345678", "'+84912345678"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("王伟明", "王伟明"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_csv_stream_starts_with_bom_and_quotes():
    lines = list(csv_stream(["name", "note"], [["Nguyễn, An", '"quoted"']]))
    assert lines == ["\ufeffname,note\r\n", '"Nguyễn, An","""quoted"""\r\n']
