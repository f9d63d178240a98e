"""Exchange rates an admin maintains, and the conversion of catalogue prices into the currency
of an order at the rate of the order's day (a CNY order never relabels a USD price)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.validation import currency_clean
from kith.identity.access import admin_require
from kith.identity.models import User
from kith.sales.models import ExchangeRate
from kith.sales.money import minor_digits


@transaction.atomic
def exchange_rate_set(
    *, by: User, currency: str, base: str, rate: Decimal | str, day: date
) -> ExchangeRate:
    """Set what one `currency` is worth in `base` from `day` on (admins only); setting the same
    pair and day again replaces the rate."""
    admin_require(by, message=_("Only administrators maintain exchange rates."))
    errors: dict[str, str] = {}
    currency = currency_clean(currency, field="currency", errors=errors)
    base = currency_clean(base, field="base", errors=errors)
    if currency and currency == base:
        errors["base"] = _("Choose another currency than the one converted.")
    try:
        value = Decimal(str(rate).replace(",", "").strip())
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value <= 0 or value >= Decimal(10) ** 13:
        errors["rate"] = _("Enter a positive number such as 7.1 or 0.00004.")
    if errors:
        raise FieldError(errors)
    row, created = ExchangeRate.objects.update_or_create(
        currency=currency, base=base, day=day,
        defaults={"rate": value.quantize(Decimal("1e-10")), "created_by": by},
    )  # fmt: skip
    changes_record(
        instance=row, actor=by, before=None if created else {}, after={"rate": str(value)}
    )
    return row


def exchange_rate_on(*, currency: str, base: str, day: date) -> Decimal | None:
    """What one `currency` is worth in `base` on `day`: the pair's latest rate from `day` or
    before, else the inverse of the reverse pair's; None when there is neither."""
    if currency == base:
        return Decimal(1)
    direct = (
        ExchangeRate.objects.filter(currency=currency, base=base, day__lte=day)
        .order_by("-day")
        .values_list("rate", flat=True)
        .first()
    )
    if direct is not None:
        return direct
    reverse = (
        ExchangeRate.objects.filter(currency=base, base=currency, day__lte=day)
        .order_by("-day")
        .values_list("rate", flat=True)
        .first()
    )
    return Decimal(1) / reverse if reverse else None


def money_convert(*, minor: int, currency: str, into: str, day: date) -> int | None:
    """`minor` units of `currency` in minor units of `into` at the rate of `day` (rounded half
    up); None when no rate is known."""
    rate = exchange_rate_on(currency=currency, base=into, day=day)
    if rate is None:
        return None
    return money_at_rate(minor=minor, currency=currency, into=into, rate=rate)


def money_at_rate(*, minor: int, currency: str, into: str, rate: Decimal) -> int:
    """`minor` units of `currency` in minor units of `into` at `rate` (rounded half up)."""
    major = Decimal(minor).scaleb(-minor_digits(currency)) * rate
    return int(major.scaleb(minor_digits(into)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class RateBook:
    """Amounts in several currencies into one, at the rates of one day, each pair's rate looked
    up once (a reader's cache: for a page or a forecast, not for storing)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.rates: dict[tuple[str, str], Decimal | None] = {}

    def minor(self, minor: int, currency: str, into: str) -> int | None:
        """`minor` of `currency` in `into`; None without a rate."""
        if currency == into:
            return minor
        if (currency, into) not in self.rates:
            self.rates[(currency, into)] = exchange_rate_on(
                currency=currency, base=into, day=self.day
            )
        rate = self.rates[(currency, into)]
        if rate is None:
            return None
        return money_at_rate(minor=minor, currency=currency, into=into, rate=rate)

    def total(
        self, totals: Mapping[tuple[Any, str], tuple[int, int]], holder: Any, into: str
    ) -> tuple[int, int, list[str]]:
        """Sum of `holder`'s (amount, count) per currency in `into`: amount, count and the
        currencies left out for want of a rate."""
        amount, deals, missing = 0, 0, []
        for (key, currency), (minor, n) in totals.items():
            if key != holder:
                continue
            converted = self.minor(minor, currency, into)
            if converted is None:
                missing.append(currency)
                continue
            amount += converted
            deals += n
        return amount, deals, sorted(missing)
