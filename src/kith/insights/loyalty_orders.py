"""Sales orders as loyalty's OrderFacts, and the handler that makes bulk-imported orders earn.

Loyalty and sales are siblings (layer 5): loyalty never reads an order. Insights sits above
both, so it reads the orders (in chunks, one query for the lines of each chunk) and hands them
to loyalty's bulk service. sales' bulk import (`orders_import`, COPY) records ONE
`orders.imported` event per import with the id range it wrote, not one `order.created` per
order; `on_orders_imported` earns that range through `orders_backfill`, whose source key per
order ("order:<id>") makes an order earn exactly once however often the event is delivered and
whether or not a manual backfill ran too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet

from kith.core.models import DomainEvent
from kith.loyalty import services as loyalty
from kith.loyalty.models import Programme
from kith.sales.models import Order, OrderLine, Product


def sales_order_facts(
    orders: QuerySet[Order], *, chunk: int, progress: Callable[[int, int], None] | None = None
) -> Iterator[loyalty.OrderFact]:
    """`orders` that count (not cancelled or refunded) as OrderFacts with their lines, in id
    order: a chunk of orders and one query for its lines at a time (keyset on the id)."""
    categories = dict(Product.objects.values_list("pk", "category"))
    orders = orders.filter(status__in=Order.COUNTED)
    total, done, last = orders.count(), 0, 0
    while True:
        rows = list(
            orders.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "contact_id", "currency", "total_minor", "ordered_at")[:chunk]
        )
        if not rows:
            break
        lines: dict[int, list[loyalty.OrderLineFact]] = defaultdict(list)
        for order_id, product_id, quantity, price in OrderLine.objects.filter(
            order_id__in=[row[0] for row in rows]
        ).values_list("order_id", "product_id", "quantity", "unit_price_minor"):
            lines[order_id].append(
                loyalty.OrderLineFact(
                    product_id=product_id,
                    quantity=quantity,
                    amount_minor=quantity * price,
                    category=categories.get(product_id, ""),
                )
            )
        for pk, contact_id, currency, total_minor, at in rows:
            yield loyalty.OrderFact(
                order_id=pk, contact_id=contact_id, currency=currency, total_minor=total_minor,
                at=at, lines=tuple(lines.get(pk, ())),
            )  # fmt: skip
        last = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(done, total)


def on_orders_imported(event: DomainEvent) -> None:
    """Earn the points of the orders a bulk import wrote (payload: first_order, last_order)."""
    payload: dict[str, Any] = event.payload or {}
    try:
        first, last = int(payload["first_order"]), int(payload["last_order"])
    except (KeyError, TypeError, ValueError):
        return
    currencies = set(Programme.objects.filter(is_active=True).values_list("currency", flat=True))
    if not currencies or last < first:
        return
    orders = Order.objects.filter(pk__gte=first, pk__lte=last, currency__in=currencies)
    loyalty.orders_backfill(sales_order_facts(orders, chunk=2000))
