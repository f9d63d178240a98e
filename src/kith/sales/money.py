"""Amounts in minor units (integers) and their display and parsing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.formats import get_format, number_format

# ISO 4217 currencies without minor units; every other currency has two.
_NO_MINOR = frozenset({"VND", "JPY", "KRW", "CLP", "ISK", "UGX", "XAF", "XOF"})


def minor_digits(currency: str) -> int:
    return 0 if currency.upper() in _NO_MINOR else 2


def money_format(minor: int | None, currency: str) -> str:
    """An amount with its currency in the active language's number format: 12345, "USD" ->
    "123.45 USD"; 1500000, "VND" -> "1,500,000 VND" (English), "1.500.000 VND" (Vietnamese)."""
    digits = minor_digits(currency)
    value = Decimal(minor or 0).scaleb(-digits)
    shown = number_format(value, decimal_pos=digits, use_l10n=True, force_grouping=True)
    return f"{shown} {currency}"


def money_parse(raw: str | int | float | Decimal, currency: str) -> int:
    """A typed amount as minor units, read in the active language's way ("1,234.50" in English,
    "1.234,50" in Vietnamese; with both marks the last one is the decimal mark); ValueError when
    it is not a number."""
    text = str(raw).replace(" ", "").replace("\u00a0", "").strip()
    decimal_mark = str(get_format("DECIMAL_SEPARATOR"))
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "." in text and decimal_mark == ",":
        # "1.250" / "1.500.000" are thousands in Vietnamese; "12.5" is still a decimal.
        groups = text.lstrip("-").split(".")
        if not all(len(g) == 3 and g.isdigit() for g in groups[1:]):
            decimal_mark = "."
    grouping = "." if decimal_mark == "," else ","
    text = text.replace(grouping, "").replace(decimal_mark, ".")
    try:
        value = Decimal(text or "0")
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite():
        raise ValueError(text)
    return int((value.scaleb(minor_digits(currency))).to_integral_value())
