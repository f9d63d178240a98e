"""The command palette's search over sales records: leads, deals, orders (by number) and
products, each only as far as the user may read them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kith.core.apps import SearchHit
from kith.identity.access import can, visible_to
from kith.identity.models import User
from kith.sales.models import Deal, Lead, Order, Product


def palette_search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """Leads by name, company or email; deals by name; orders by number (or #id); products
    by name or SKU. Newest first, `limit` of each kind: one query per kind."""
    hits: list[SearchHit] = []
    leads = (
        visible_to(Lead.objects.all(), user=user, module="leads")
        .filter(
            Q(full_name__icontains=query)
            | Q(company_name__icontains=query)
            | Q(email__istartswith=query)
        )
        .order_by("-id")
        .values_list("id", "full_name", "company_name")[:limit]
    )
    hits += [
        SearchHit("lead", _("Leads"), name, company, "lead-detail", (pk,))
        for pk, name, company in leads
    ]
    deals = (
        visible_to(Deal.objects.all(), user=user, module="deals")
        .filter(name__icontains=query)
        .order_by("-id")
        .values_list("id", "name", "stage__name")[:limit]
    )
    hits += [
        SearchHit("deal", _("Deals"), name, stage, "deal-detail", (pk,))
        for pk, name, stage in deals
    ]
    number = query.lstrip("#")
    orders = visible_to(Order.objects.all(), user=user, module="orders")
    match = Q(number__istartswith=query) | Q(number__istartswith=number)
    if number.isdigit() and len(number) < 12:
        match |= Q(pk=int(number))
    hits += [
        SearchHit("order", _("Orders"), order_number or f"#{pk}", contact, "order-detail", (pk,))
        for pk, order_number, contact in orders.filter(match)
        .order_by("-id")
        .values_list("id", "number", "contact__full_name")[:limit]
    ]
    if can(user, "products", "read"):
        products = (
            Product.objects.filter(Q(name__icontains=query) | Q(sku__istartswith=query))
            .order_by("name", "id")
            .values_list("id", "name", "sku")[:limit]
        )
        hits += [
            SearchHit(
                "product", _("Products"), name, sku, "product-list", (), urlencode({"q": sku})
            )
            for _pk, name, sku in products
        ]
    return hits
