"""CSV for spreadsheet apps: a BOM so they read UTF-8, and cells that cannot run as formulas."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from kith.core.text import controls_strip

# A cell starting with one of these is a formula in Excel/LibreOffice/Sheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """`value` as CSV text; a leading formula character is defused with an apostrophe."""
    text = "" if value is None else controls_strip(str(value))
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like object whose write() returns the line, for streaming."""

    def write(self, line: str) -> str:
        return line


def csv_stream(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
