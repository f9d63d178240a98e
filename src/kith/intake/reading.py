"""Reading uploaded tables: CSV in any delimiter and encoding, XLSX, vCard.

Pure module (no Django): `table_read(content, filename=)` returns a header and rows of strings,
or raises TableError (a ValueError) with a message a user can act on.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
import zlib
from dataclasses import asdict, dataclass, field

# A cell longer than this is refused (a sign of a broken file: an unclosed quote swallowing
# the rest of it), rather than stored.
MAX_CELL = 10_000
MAX_COLUMNS = 200
# Rows of data read at most (kith.settings.KITH_IMPORT_MAX_ROWS passes the configured limit).
MAX_ROWS = 1_000_000
# An XLSX is a zip: refuse one that unpacks to more than this, or far more than its size (a
# "zip bomb" of a few hundred KB that takes minutes and gigabytes to read).
MAX_UNPACKED = 1024 * 1024 * 1024
MAX_RATIO = 250
# A sheet whose formatting reaches row 1,048,576 yields every empty row: stop after this many
# blank rows in a row, the table has ended.
BLANK_RUN_END = 10_000
_SNIFF_BYTES = 64 * 1024


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalog (makemessages finds it by this name) without
    importing Django; kith.intake.imports translates TableError messages when it shows them."""
    return message


class TableError(ValueError):
    """A file that cannot be read as a table: `template % params` says why, in English;
    `template` is in intake's translation catalog."""

    def __init__(self, template: str, **params: object) -> None:
        self.template, self.params = template, params
        super().__init__(template % params if params else template)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    # The line of each row as the user counts it (the header is 1; blank lines are skipped).
    numbers: list[int] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    # (row number as the user counts it, 1 = header, message) for rows the reader fixed up.
    warnings: list[tuple[int, str]] = field(default_factory=list)
    # Rows of a UTF-8 file with a byte that is not UTF-8 (read as U+FFFD): not imported, named.
    undecodable: list[int] = field(default_factory=list)


def table_pack(table: Table) -> bytes:
    """The table as compressed JSON, to store once it is read (see ImportJob.table_data)."""
    return zlib.compress(json.dumps(asdict(table), ensure_ascii=False).encode(), 3)


def table_unpack(data: bytes) -> Table:
    values = json.loads(zlib.decompress(data))
    values["warnings"] = [tuple(w) for w in values["warnings"]]
    return Table(**values)


def _rows_check(count: int, max_rows: int) -> None:
    if count > max_rows:
        raise TableError(
            gettext_noop("The file has more than %(limit)s rows; split it into smaller files."),
            limit=f"{max_rows:,}",
        )


def text_decode(content: bytes) -> tuple[str, str]:
    """The text of `content` and the encoding it was read with: UTF-8 (with or without BOM)
    first, then what charset-normalizer detects (GB18030 for GBK, cp1258, …)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8"), "utf-8-sig"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = content.decode("utf-8", errors="replace")
    lines = text.count("\n") + 1
    # A UTF-8 file with a stray byte or two (an edit in another program), not a file in another
    # encoding, where nearly every non-ASCII line fails: read it as UTF-8, and csv_read names the
    # rows that hold an unreadable byte instead of importing them as mojibake.
    if sum(1 for line in text.splitlines() if "\ufffd" in line) <= max(1, lines // 100):
        return text, "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(content[: 512 * 1024]).best()
    if best is None:
        raise TableError(gettext_noop("The file is not text in any encoding Kith can read."))
    encoding = best.encoding
    if encoding in {"gb2312", "gbk", "hz"}:
        encoding = "gb18030"  # a superset: GBK files often hold characters GB2312 lacks
    try:
        # cp1258 writes most Vietnamese letters as a base letter + a combining tone mark.
        return unicodedata.normalize("NFC", content.decode(encoding)), encoding
    except UnicodeDecodeError as exc:
        raise TableError(
            gettext_noop("The file looks like %(encoding)s but byte %(byte)s is not valid in it."),
            encoding=encoding,
            byte=exc.start,
        ) from exc


def delimiter_guess(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def csv_read(content: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    text, encoding = text_decode(content)
    if not text.strip():
        raise TableError(gettext_noop("The file is empty."))
    delimiter = delimiter_guess(text[:_SNIFF_BYTES])
    csv.field_size_limit(max(MAX_CELL * 10, 131072))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise TableError(gettext_noop("The file is empty.")) from exc
    _header_check(header)
    table = Table(header=header, rows=[], encoding=encoding, delimiter=delimiter)
    width = len(header)
    try:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            for cell in row:
                if len(cell) > MAX_CELL:
                    raise TableError(
                        gettext_noop(
                            "Row %(row)s: a cell is %(length)s characters long (at most "
                            "%(limit)s); is a quote left open?"
                        ),
                        row=number,
                        length=len(cell),
                        limit=MAX_CELL,
                    )
            if len(row) != width:
                table.warnings.append(
                    (number, f"has {len(row)} cells where the header has {width}")
                )
                row = (row + [""] * width)[:width] if len(row) < width else row
            if any("\ufffd" in cell for cell in row):
                table.undecodable.append(number)
            table.rows.append(row)
            table.numbers.append(number)
            _rows_check(len(table.rows), max_rows)
    except csv.Error as exc:
        raise TableError(
            gettext_noop("Row %(row)s cannot be read as CSV (%(reason)s)."),
            row=reader.line_num,
            reason=str(exc),
        ) from exc
    return table


def _header_check(header: list[str]) -> None:
    if not any(header):
        raise TableError(gettext_noop("The first row must name the columns."))
    if len(header) > MAX_COLUMNS:
        raise TableError(
            gettext_noop("The file has %(count)s columns; at most %(limit)s."),
            count=len(header),
            limit=MAX_COLUMNS,
        )
    seen = set()
    for name in header:
        if name and name in seen:
            raise TableError(gettext_noop("The column “%(name)s” appears twice."), name=name)
        seen.add(name)


def _unpacked_check(content: bytes) -> None:
    """Refuse an XLSX that unpacks to far more than a table of its size could."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise TableError(gettext_noop("The file is not a readable XLSX workbook.")) from exc
    unpacked = sum(m.file_size for m in members)
    ratios = [m.file_size / max(m.compress_size, 1) for m in members if m.file_size > 1 << 20]
    if unpacked > MAX_UNPACKED or any(r > MAX_RATIO for r in ratios):
        raise TableError(
            gettext_noop(
                "The workbook unpacks to %(size)s MB from a %(packed)s KB file: it is not a plain "
                "table. Save the sheet as CSV and import that."
            ),
            size=unpacked // (1 << 20),
            packed=len(content) // 1024,
        )


def xlsx_read(content: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    from openpyxl import load_workbook

    _unpacked_check(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise TableError(gettext_noop("The file is not a readable XLSX workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        first = next(rows_iter, None)
        if first is None:
            raise TableError(gettext_noop("The file is empty."))
        header = [_cell(v).strip() for v in first]
        while header and not header[-1]:
            header.pop()
        _header_check(header)
        width = len(header)
        rows = []
        numbers = []
        blank_run = 0
        for number, values in enumerate(rows_iter, start=2):
            row = [_cell(v) for v in values[:width]]
            row += [""] * (width - len(row))
            if not any(c.strip() for c in row):
                blank_run += 1
                if blank_run >= BLANK_RUN_END:
                    break
                continue
            blank_run = 0
            for cell in row:
                if len(cell) > MAX_CELL:
                    raise TableError(
                        gettext_noop(
                            "Row %(row)s: a cell is %(length)s characters long (at most "
                            "%(limit)s); is a quote left open?"
                        ),
                        row=number,
                        length=len(cell),
                        limit=MAX_CELL,
                    )
            rows.append(row)
            numbers.append(number)
            _rows_check(len(rows), max_rows)
        return Table(header=header, rows=rows, numbers=numbers, encoding="xlsx", delimiter="")
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "hour") else value.isoformat()
    return str(value)


VCARD_COLUMNS = [
    "First name", "Last name", "Full name", "Email", "Phone", "Company", "Job title",
    "Address", "City", "Region", "Postal code", "Country",
]  # fmt: skip


def vcard_read(content: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    import vobject

    text, encoding = text_decode(content)
    if not text.strip():
        raise TableError(gettext_noop("The file is empty."))
    rows = []
    try:
        for card in vobject.readComponents(text):
            rows.append(_vcard_row(card))
            _rows_check(len(rows), max_rows)
    except TableError:
        raise
    except Exception as exc:
        raise TableError(
            gettext_noop("Card %(number)s cannot be read (%(reason)s)."),
            number=len(rows) + 1,
            reason=str(exc),
        ) from exc
    if not rows:
        raise TableError(gettext_noop("The file holds no vCards."))
    return Table(
        header=list(VCARD_COLUMNS),
        rows=rows,
        numbers=list(range(1, len(rows) + 1)),
        encoding=encoding,
        delimiter="",
    )


def _vcard_row(card: object) -> list[str]:
    contents = getattr(card, "contents", {})

    def first(key: str) -> object | None:
        items = contents.get(key)
        return items[0].value if items else None

    name = first("n")
    given = getattr(name, "given", "") if name is not None else ""
    family = getattr(name, "family", "") if name is not None else ""
    org = first("org")
    company = org[0] if isinstance(org, list) and org else (org or "")
    adr = first("adr")
    return [
        _joined(given), _joined(family), str(first("fn") or ""), str(first("email") or ""),
        str(first("tel") or ""), str(company), str(first("title") or ""),
        _joined(getattr(adr, "street", "")), _joined(getattr(adr, "city", "")),
        _joined(getattr(adr, "region", "")), _joined(getattr(adr, "code", "")),
        _joined(getattr(adr, "country", "")),
    ]  # fmt: skip


def _joined(value: object) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value if v)
    return str(value or "")


def table_read(content: bytes, *, filename: str, max_rows: int = MAX_ROWS) -> Table:
    """The table in an uploaded file, by its extension (and magic bytes for XLSX), of at most
    `max_rows` rows of data."""
    name = filename.lower()
    if not content:
        raise TableError(gettext_noop("The file is empty."))
    if name.endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        return xlsx_read(content, max_rows=max_rows)
    if name.endswith((".vcf", ".vcard")) or content.lstrip()[:11].upper() == b"BEGIN:VCARD":
        return vcard_read(content, max_rows=max_rows)
    if name.endswith(".json"):
        return json_read(content, max_rows=max_rows)
    return csv_read(content, max_rows=max_rows)


def _json_cell(value: object) -> str:
    """A JSON value as one cell: text as is, a list of text pieces joined (chat exports split
    formatted messages so), anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, dict)) for v in value):
        return "".join(v if isinstance(v, str) else str(v.get("text", "")) for v in value)
    if isinstance(value, (int, float, bool)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def json_read(content: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    """A JSON export (of social mentions, a chat, …): a list of objects, or an object holding
    one such list ({"messages": [...]}); the objects' keys are the columns, in first-seen
    order, and item n is row n + 1 (as if the keys were a header row)."""
    text, encoding = text_decode(content)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TableError(gettext_noop("The file is not valid JSON.")) from exc
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise TableError(
            gettext_noop("The JSON file holds no list of records (objects with the same keys).")
        )
    _rows_check(len(data), max_rows)
    header: dict[str, None] = {}
    for item in data:
        header.update(dict.fromkeys(str(key).strip() for key in item))
    if not header:
        raise TableError(gettext_noop("The file is empty."))
    columns = list(header)
    _header_check(columns)
    table = Table(header=columns, rows=[], encoding=encoding)
    for number, item in enumerate(data, start=2):
        row = [_json_cell(item.get(column))[:MAX_CELL] for column in columns]
        if any(cell.strip() for cell in row):
            table.rows.append(row)
            table.numbers.append(number)
    return table
