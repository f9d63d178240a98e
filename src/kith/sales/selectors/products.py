"""Reads of the product catalogue."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.identity.access import can
from kith.identity.models import User
from kith.sales.models import ExchangeRate, Product

PRODUCT_ORDERING = Ordering("name")
RATE_ORDERING = Ordering("day", descending=True)


def products_list(
    *, user: User, q: str = "", category: str = "", cursor: str | None = None, limit: int = 50
) -> Page[Product]:
    """The catalogue by name; empty for users without read access to products."""
    products = Product.objects.all() if can(user, "products", "read") else Product.objects.none()
    if q:
        products = products.filter(Q(name__icontains=q) | Q(sku__iexact=q))
    if category:
        products = products.filter(category=category)
    return paginate(products, ordering=PRODUCT_ORDERING, cursor=cursor, limit=limit)


def product_get(*, user: User, product_id: int) -> Product:
    """One product; NotFound also for users without read access to products."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not can(user, "products", "read"):
        raise NotFound(_("Not found."))
    return product


def exchange_rates_list(
    *, user: User, cursor: str | None = None, limit: int = 50
) -> Page[ExchangeRate]:
    """The exchange rates, newest day first (readable by whoever reads products)."""
    rates = (
        ExchangeRate.objects.all() if can(user, "products", "read") else ExchangeRate.objects.none()
    )
    return paginate(rates, ordering=RATE_ORDERING, cursor=cursor, limit=limit)
