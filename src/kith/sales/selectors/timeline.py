"""Orders and deals as items of a contact's timeline."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from kith.engagement.timeline import TimelineCursor, TimelineItem
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.models import Deal, DealContact, Order


def orders_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's orders as timeline items, newest first (order_contact_date_idx)."""
    orders = visible_to(Order.objects.all(), user=user, module="orders").filter(
        contact_id=contact_id
    )
    if before is not None:
        orders = orders.filter(before.q(kind="order", at_field="ordered_at"))
    return [
        TimelineItem(
            kind="order",
            at=o.ordered_at,
            key=o.pk,
            title=_("Order %(number)s: %(total)s") % {"number": str(o), "total": o.total_display},
            summary=o.get_status_display(),
            url=f"/orders/{o.pk}/",
            icon="order",
        )
        for o in orders.order_by("-ordered_at", "-id")[:limit]
    ]


def deals_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """The deals a contact takes part in, by creation date, newest first."""
    deals = visible_to(Deal.objects.all(), user=user, module="deals").filter(
        pk__in=DealContact.objects.filter(contact_id=contact_id).values("deal_id")
    )
    if before is not None:
        deals = deals.filter(before.q(kind="deal", at_field="created_at"))
    return [
        TimelineItem(
            kind="deal",
            at=d.created_at,
            key=d.pk,
            title=_("Deal %(name)s: %(amount)s") % {"name": d.name, "amount": d.amount_display},
            summary=d.stage.name,
            url=f"/deals/{d.pk}/",
            icon="deal",
        )
        for d in deals.select_related("stage").order_by("-created_at", "-id")[:limit]
    ]
