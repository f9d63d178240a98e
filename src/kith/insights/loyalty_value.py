"""The loyalty dashboard's "does the programme pay?" figure: kith.insights.engine.loyalty_lift
over the programme's members and the orders in its currency, cached for a few hours (it reads
every order of the currency)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.utils import timezone

from kith.loyalty.models import Membership, Programme

CACHE_SECONDS = 6 * 3600


def programme_lift(*, programme: Programme) -> Any:
    """The LoyaltyLift of `programme` (None: too few members measurable yet)."""
    today = timezone.localdate()
    key = f"kith.insights.loyalty_lift:{programme.pk}:{today.isoformat()}"
    found = cache.get(key)
    if found is not None:
        return found or None
    import polars as pl

    from kith.insights.engine.loyalty_lift import loyalty_lift
    from kith.insights.jobs import orders_frame

    rows = list(
        Membership.objects.filter(programme=programme).values_list("contact_id", "joined_at")
    )
    members = pl.DataFrame(
        [(c, timezone.localtime(at).date()) for c, at in rows],
        schema={"customer_id": pl.Int64, "joined_at": pl.Date},
        orient="row",
    )
    transactions = orders_frame(currency=programme.currency).select("customer_id", "at", "amount")
    lift = loyalty_lift(transactions=transactions, members=members, as_of=today)
    cache.set(key, lift or False, CACHE_SECONDS)
    return lift
