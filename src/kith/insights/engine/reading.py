"""Reading an analyst's transactions file into the engine's frame, with errors that say where.

Columns are picked by name; customer ids may be any text (they are numbered for the engine and
mapped back on output), dates ISO (2026-03-01, 2026-03-01T10:00:00 or 2026/03/01) and amounts
plain decimals (a thousands separator "," or a leading currency sign is tolerated).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl


@dataclass
class TransactionsFile:
    """The file's transactions as the engine wants them, and each customer_id's original text."""

    transactions: pl.DataFrame
    customer_labels: pl.DataFrame  # customer_id (Int64), customer (as in the file)


def _first_bad_line(raw: pl.DataFrame, parsed: pl.Series, column: str) -> int:
    bad = raw.with_row_index("row").filter(parsed.is_null() & pl.col(column).is_not_null())
    return int(bad["row"][0]) + 2  # + header line, 1-based


def _parse_dates(raw: pl.DataFrame, column: str) -> pl.Series:
    text = raw[column].str.strip_chars().str.replace_all("/", "-")
    as_date = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    valid_tail = text.str.len_chars().eq(10) | text.str.slice(10, 1).is_in(["T", " "])
    return pl.select(pl.when(valid_tail).then(as_date)).to_series().alias("at")


def transactions_read_csv(
    path: Path, *, customer_col: str, date_col: str, amount_col: str
) -> TransactionsFile:
    """Read a CSV of transactions; ValueError naming the column (and the line of the first
    unreadable value) when a column is missing or a value cannot be read."""
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"{path.name}: not a readable CSV file ({exc})") from exc
    wanted = {"customer": customer_col, "date": date_col, "amount": amount_col}
    for what, column in wanted.items():
        if column not in raw.columns:
            raise ValueError(
                f"{path.name}: no {what} column {column!r}; the columns are "
                + ", ".join(repr(c) for c in raw.columns)
            )
    for what, column in wanted.items():
        missing = raw[column].is_null() | (raw[column].str.strip_chars() == "")
        if missing.any():
            line = int(missing.arg_true()[0]) + 2
            raise ValueError(f"{path.name}: line {line}: column {column!r} ({what}) is empty")
    at = _parse_dates(raw, date_col)
    if at.null_count():
        line = _first_bad_line(raw, at, date_col)
        value = raw[date_col][line - 2]
        raise ValueError(
            f"{path.name}: line {line}: column {date_col!r}: {value!r} is not a date (YYYY-MM-DD)"
        )
    cleaned = (
        raw[amount_col].str.strip_chars().str.replace_all(",", "").str.replace(r"^[$€£¥₫]", "")
    )
    amount = cleaned.cast(pl.Float64, strict=False)
    if amount.null_count():
        line = _first_bad_line(raw, amount, amount_col)
        value = raw[amount_col][line - 2]
        raise ValueError(
            f"{path.name}: line {line}: column {amount_col!r}: {value!r} is not a number"
        )
    customer = raw[customer_col].str.strip_chars()
    numeric = customer.cast(pl.Int64, strict=False)
    if numeric.null_count() == 0:  # numeric ids are used (and printed) as they are
        customer_id, label = numeric, numeric
    else:
        customer_id, label = customer.rank("dense").cast(pl.Int64), customer
    frame = pl.DataFrame({"customer_id": customer_id, "at": at, "amount": amount})
    labels = pl.DataFrame({"customer_id": customer_id, "customer": label}).unique("customer_id")
    return TransactionsFile(frame, labels)
