"""Reads of orders."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.models import Order

ORDER_ORDERING = Ordering("ordered_at", descending=True)


@dataclass(frozen=True)
class OrderFilters:
    contact_id: int | None = None
    status: str = ""
    channel: str = ""
    owner_id: int | None = None


def orders_list(
    *,
    user: User,
    filters: OrderFilters = OrderFilters(),
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Order]:
    """Orders newest first (a contact's order history with `contact_id`): customer joined,
    no lines (one query per page)."""
    orders = visible_to(Order.objects.all(), user=user, module="orders")
    if filters.contact_id:
        orders = orders.filter(contact_id=filters.contact_id)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.channel:
        orders = orders.filter(channel=filters.channel)
    if filters.owner_id:
        orders = orders.filter(owner_id=filters.owner_id)
    orders = orders.select_related("contact").only(
        "id", "number", "ordered_at", "status", "channel", "currency", "total_minor",
        "refunded_minor", "status_reason",
        "contact_id", "owner_id", "team_id", "version", "contact__full_name",
    )  # fmt: skip
    return paginate(orders, ordering=ORDER_ORDERING, cursor=cursor, limit=limit)


def order_get(*, user: User, order_id: int) -> Order:
    """One visible order with its customer and lines."""
    order = (
        visible_to(Order.objects.all(), user=user, module="orders")
        .select_related("contact", "owner", "team")
        .prefetch_related("lines__product")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound(_("Not found."))
    return order
