"""The sales forecast: weighted open deals and won revenue per month and owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kith.identity.models import User
from kith.sales.money import money_format
from kith.sales.selectors.deals import ALL_DEALS, DealFilters, deals_filtered


@dataclass
class ForecastRow:
    month: date
    owner_id: int
    owner: str
    currency: str
    pipeline_minor: int = 0  # open deals, amount x probability
    open_minor: int = 0  # open deals, unweighted
    won_minor: int = 0  # closed revenue

    @property
    def pipeline_display(self) -> str:
        return money_format(self.pipeline_minor, self.currency)

    @property
    def won_display(self) -> str:
        return money_format(self.won_minor, self.currency)

    @property
    def open_display(self) -> str:
        return money_format(self.open_minor, self.currency)


def _month(value: Any) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def sales_forecast(
    *, user: User, start: date, months: int = 6, filters: DealFilters = ALL_DEALS
) -> list[ForecastRow]:
    """Per month and owner (and currency): open deals weighted by their probability by
    expected close month, and won deals as closed revenue by the month they closed. Lost deals
    count nowhere. Weighted sums are in minor units, rounded down per month and owner."""
    start = start.replace(day=1)
    end = start
    for _i in range(months):
        end = (end + timedelta(days=32)).replace(day=1)
    deals = deals_filtered(user=user, filters=filters)
    rows: dict[tuple[date, int, str], ForecastRow] = {}
    names = {}

    def row(month: date, owner_id: int, currency: str) -> ForecastRow:
        key = (month, owner_id, currency)
        if key not in rows:
            rows[key] = ForecastRow(month=month, owner_id=owner_id, owner="", currency=currency)
        return rows[key]

    open_rows = (
        deals.filter(outcome="open", expected_close__gte=start, expected_close__lt=end)
        .annotate(month=TruncMonth("expected_close"))
        .values("month", "owner_id", "currency")
        .annotate(weighted=Sum(F("amount_minor") * F("probability")), amount=Sum("amount_minor"))
        .order_by()
    )
    for r in open_rows:
        target = row(_month(r["month"]), r["owner_id"], r["currency"])
        target.pipeline_minor += (r["weighted"] or 0) // 100
        target.open_minor += r["amount"] or 0
    won_rows = (
        deals.filter(
            outcome="won",
            closed_at__gte=_aware(start),
            closed_at__lt=_aware(end),
        )
        .annotate(month=TruncMonth("closed_at"))
        .values("month", "owner_id", "currency")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )
    for w in won_rows:
        row(_month(w["month"]), w["owner_id"], w["currency"]).won_minor += w["amount"] or 0
    owner_ids = {key[1] for key in rows}
    for user_row in User.objects.filter(pk__in=owner_ids):
        names[user_row.pk] = str(user_row)
    for item in rows.values():
        item.owner = names.get(item.owner_id, "")
    return sorted(rows.values(), key=lambda r: (r.month, r.owner, r.currency))


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))
