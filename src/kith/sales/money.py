"""Amounts in minor units (integers) and their display and parsing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies without minor units; every other currency has two.
_NO_MINOR = frozenset({"VND", "JPY", "KRW", "CLP", "ISK", "UGX", "XAF", "XOF"})


def minor_digits(currency: str) -> int:
    return 0 if currency.upper() in _NO_MINOR else 2


def money_format(minor: int | None, currency: str) -> str:
    """12345, "USD" -> "123.45 USD"; 1500000, "VND" -> "1,500,000 VND"."""
    digits = minor_digits(currency)
    value = Decimal(minor or 0).scaleb(-digits)
    return f"{value:,.{digits}f} {currency}"


def money_parse(raw: str | int | float | Decimal, currency: str) -> int:
    """A typed amount ("1,234.50") as minor units; ValueError when it is not a number."""
    text = str(raw).replace(",", "").replace(" ", "").strip()
    try:
        value = Decimal(text or "0")
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite():
        raise ValueError(text)
    return int((value.scaleb(minor_digits(currency))).to_integral_value())
