"""Sales orders as loyalty's OrderFacts, and the handler that makes bulk-imported orders earn.

Loyalty and sales are siblings (layer 5): loyalty never reads an order. Insights sits above
both, so it reads the orders (in chunks; each order's base points summed over its lines in
SQL) and hands them to loyalty's bulk service. sales' bulk import (`orders_import`, COPY) records ONE
`orders.imported` event per import with the id range it wrote, not one `order.created` per
order; `on_orders_imported` earns that range through `orders_backfill`, whose source key per
order ("order:<id>") makes an order earn exactly once however often the event is delivered and
whether or not a manual backfill ran too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import BigIntegerField, Case, ExpressionWrapper, F, QuerySet, Sum, Value, When

from kith.core.models import DomainEvent
from kith.loyalty import services as loyalty
from kith.loyalty.models import Programme
from kith.loyalty.services import earning as loyalty_earning
from kith.sales.models import Order, OrderLine, Product


def _base_points_sql(programme: Programme, percents: dict[int, int]) -> Any:
    """Per line, what order_base_points gives it: amount × points per unit × the product's
    multiplier // (unit × 100), in integer arithmetic on both databases."""
    by_percent: dict[int, list[int]] = defaultdict(list)
    for product_id, percent in percents.items():
        by_percent[percent].append(product_id)
    percent = Case(
        *(When(product_id__in=ids, then=Value(p)) for p, ids in sorted(by_percent.items())),
        default=Value(100),
        output_field=BigIntegerField(),
    )
    amount = F("quantity") * F("unit_price_minor") * Value(programme.points_per_unit) * percent
    return ExpressionWrapper(
        amount / Value(programme.unit_minor * 100), output_field=BigIntegerField()
    )


def sales_order_facts(
    orders: QuerySet[Order], *, chunk: int, progress: Callable[[int, int], None] | None = None
) -> Iterator[loyalty.OrderFact]:
    """`orders` that count (not cancelled or refunded) as OrderFacts, in id order, a chunk at
    a time (keyset on the id). Set-based: each order's base points (its lines × the rules of
    the programme of its currency) are summed in SQL, one grouped query over the chunk's lines
    per programme, so no line travels to Python; orders of a currency without a programme
    carry no points (loyalty skips them)."""
    programmes = {p.currency: p for p in Programme.objects.filter(is_active=True)}
    categories = dict(Product.objects.values_list("pk", "category"))
    expressions = {
        currency: _base_points_sql(
            programme,
            loyalty_earning.line_percent_by_product(
                loyalty_earning.Rules.of(programme.pk), categories
            ),
        )
        for currency, programme in programmes.items()
    }
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
        points: dict[int, int] = {}
        for currency, expression in expressions.items():
            ids = [row[0] for row in rows if row[2] == currency]
            if ids:
                points.update(
                    OrderLine.objects.filter(order_id__in=ids)
                    .order_by()
                    .values("order_id")
                    .annotate(points=Sum(expression))
                    .values_list("order_id", "points")
                )
        for pk, contact_id, currency, total_minor, at in rows:
            base = points.get(pk)
            yield loyalty.OrderFact(
                order_id=pk, contact_id=contact_id, currency=currency, total_minor=total_minor,
                at=at, base_points=None if base is None else int(base),
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
