"""The reporting currency of insights' KPIs and the sales forecast: one for both, so no page
sums amounts of different currencies. Light (no analytics libraries): pages import it."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count

from kith.sales.models import Order


def reporting_currency() -> str:
    """KITH_REPORTING_CURRENCY, else the currency most counted orders are in ("USD" when there
    are none)."""
    chosen = getattr(settings, "KITH_REPORTING_CURRENCY", "")
    if chosen:
        return str(chosen)
    row = (
        Order.objects.filter(status__in=Order.COUNTED)
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
        .values_list("currency", flat=True)
        .first()
    )
    return row or "USD"
