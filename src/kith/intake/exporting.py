"""Export of contact and company lists to XLSX and vCard, safe to open in a spreadsheet (CSV is
kith.web.export's, shared with the contact list). cell_neutralise also guards the import error
files, which intake writes below the web layer."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence

from kith.core.text import controls_strip

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralise(value: object) -> str:
    """The value as text; one that a spreadsheet would run as a formula gets a leading
    apostrophe ("=HYPERLINK(...)" -> "'=HYPERLINK(...)"), as OWASP recommends. Control
    characters (which XLSX cannot hold) are dropped, so data stored before the doors refused
    them still exports."""
    text = "" if value is None else controls_strip(str(value))
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An XLSX workbook (write-only mode, constant memory), every cell stored as text."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([cell_neutralise(h) for h in header])
    for row in rows:
        sheet.append([cell_neutralise(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def vcard_text(cards: Iterable[dict[str, str]]) -> Iterator[str]:
    """vCard 3.0 text, one card per contact or company (keys: full_name, first_name, last_name,
    email, phone, company, title, url)."""
    import vobject

    for person in cards:
        card = vobject.vCard()
        card.add("fn").value = person.get("full_name") or " "
        card.add("n").value = vobject.vcard.Name(
            family=person.get("last_name", ""), given=person.get("first_name", "")
        )
        if person.get("email"):
            card.add("email").value = person["email"]
        if person.get("phone"):
            card.add("tel").value = person["phone"]
        if person.get("company"):
            card.add("org").value = [person["company"]]
        if person.get("title"):
            card.add("title").value = person["title"]
        if person.get("url"):
            card.add("url").value = person["url"]
        yield card.serialize()
