"""The sales panels of the contact and company pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max, Min, Sum

from kith.customers.models import Contact
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.models import Deal, DealContact, Order, PurchaseSummary


@dataclass
class SalesPanel:
    summaries: list[PurchaseSummary]
    recent_orders: list[Order]
    open_deals: list[Deal]
    can_see_orders: bool
    can_see_deals: bool


def contact_sales_panel(*, user: User, contact: Contact, limit: int = 5) -> SalesPanel:
    """Purchase summary (total spent, first/last purchase, order count), recent orders and
    open deals of a visible contact: three small indexed queries."""
    orders = visible_to(Order.objects.all(), user=user, module="orders")
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    see_orders = not orders.query.is_empty()
    see_deals = not deals.query.is_empty()
    return SalesPanel(
        summaries=list(PurchaseSummary.objects.filter(contact=contact).order_by("currency"))
        if see_orders
        else [],
        recent_orders=list(orders.filter(contact=contact).order_by("-ordered_at", "-id")[:limit])
        if see_orders
        else [],
        open_deals=list(
            deals.filter(
                outcome="open",
                pk__in=DealContact.objects.filter(contact=contact).values("deal_id"),
            ).select_related("stage")[:limit]
        )
        if see_deals
        else [],
        can_see_orders=see_orders,
        can_see_deals=see_deals,
    )


def company_sales_panel(*, user: User, company_id: int, limit: int = 5) -> SalesPanel:
    """The company's purchases (summed over its contacts' summaries) and open deals."""
    orders = visible_to(Order.objects.all(), user=user, module="orders")
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    see_orders = not orders.query.is_empty()
    see_deals = not deals.query.is_empty()
    summaries: list[PurchaseSummary] = []
    if see_orders:
        for r in (
            PurchaseSummary.objects.filter(contact__company_id=company_id)
            .values("currency")
            .annotate(
                n=Sum("order_count"),
                total=Sum("total_minor"),
                first=Min("first_at"),
                last=Max("last_at"),
            )
            .order_by("currency")
        ):
            summaries.append(
                PurchaseSummary(
                    currency=r["currency"],
                    order_count=r["n"] or 0,
                    total_minor=r["total"] or 0,
                    first_at=r["first"],
                    last_at=r["last"],
                )
            )
    return SalesPanel(
        summaries=summaries,
        recent_orders=list(
            orders.filter(contact__company_id=company_id)
            .select_related("contact")
            .order_by("-ordered_at", "-id")[:limit]
        )
        if see_orders
        else [],
        open_deals=list(
            deals.filter(outcome="open", company_id=company_id).select_related("stage")[:limit]
        )
        if see_deals
        else [],
        can_see_orders=see_orders,
        can_see_deals=see_deals,
    )
