"""First-touch and last-touch attribution of orders to campaigns.

A campaign "touched" a contact when a message of it was sent to them; a touch covers the orders
the contact placed within that campaign's attribution window after the send. An order covered by
several touches goes, first-touch, to the campaign whose message came first and, last-touch, to
the one whose message came last before the order. So the orders of a contact who got three
campaigns before buying are counted once in each model, never three times. Orders only: deals
have no campaign link yet.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Max, Min

from kith.marketing.models import Campaign, CampaignRecipient
from kith.sales.models import Order
from kith.sales.money import money_format


@dataclass(frozen=True)
class TouchAttribution:
    first_orders: int = 0
    first_revenue_minor: int = 0
    last_orders: int = 0
    last_revenue_minor: int = 0
    currency: str = ""

    def money(self, minor: int) -> str:
        return money_format(minor, self.currency) if self.currency else str(minor)


def touch_attribution(*, campaign: Campaign) -> TouchAttribution:
    """The orders (and revenue in their most common currency) that `campaign` wins under
    first-touch and under last-touch attribution (see the module docstring)."""
    mine = CampaignRecipient.objects.filter(campaign=campaign, state="sent", sent_at__isnull=False)
    span = mine.aggregate(low=Min("sent_at"), high=Max("sent_at"))
    if span["low"] is None:
        return TouchAttribution()
    longest = timedelta(days=365)
    orders = list(
        Order.objects.filter(
            contact_id__in=mine.values("contact_id"),
            status__in=Order.COUNTED,
            ordered_at__gte=span["low"],
            ordered_at__lte=span["high"] + timedelta(days=campaign.attribution_days),
        ).values_list("pk", "contact_id", "ordered_at", "total_minor", "currency")
    )
    if not orders:
        return TouchAttribution()
    touches: dict[int, list[tuple]] = defaultdict(list)
    for contact_id, sent_at, days, campaign_id in CampaignRecipient.objects.filter(
        contact_id__in=mine.values("contact_id"),
        state="sent",
        sent_at__gte=span["low"] - longest,
        sent_at__lte=max(o[2] for o in orders),
    ).values_list("contact_id", "sent_at", "campaign__attribution_days", "campaign_id"):
        touches[contact_id].append((sent_at, -campaign_id, days, campaign_id))
    currency = Counter(o[4] for o in orders).most_common(1)[0][0]
    first = last = first_rev = last_rev = 0
    for _pk, contact_id, at, total, order_currency in orders:
        covering = sorted(
            t for t in touches[contact_id] if t[0] <= at <= t[0] + timedelta(days=t[2])
        )
        if not covering:
            continue
        revenue = total if order_currency == currency else 0
        if covering[0][3] == campaign.pk:
            first, first_rev = first + 1, first_rev + revenue
        if covering[-1][3] == campaign.pk:
            last, last_rev = last + 1, last_rev + revenue
    return TouchAttribution(
        first_orders=first,
        first_revenue_minor=first_rev,
        last_orders=last,
        last_revenue_minor=last_rev,
        currency=currency,
    )
