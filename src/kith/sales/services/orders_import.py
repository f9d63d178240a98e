"""The bulk path of orders: validate and write orders and lines with COPY / multi-row
INSERTs, then refresh the purchase summaries of the contacts touched."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.bulk import next_id, secondary_indexes_deferred, sequences_reset, values_write
from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.customers.models import Contact
from kith.identity.access import require, visible_to
from kith.identity.models import User
from kith.sales.models import (
    Channel,
    Order,
    OrderLine,
    Product,
    PurchaseSummary,
)


@dataclass(frozen=True)
class OrderImport:
    """One order of a bulk import: lines are (product_id, quantity, unit_price_minor)."""

    contact_id: int
    ordered_at: datetime
    lines: Sequence[tuple[int, int, int]]
    currency: str = "USD"
    status: str = Order.Status.PAID
    channel: str = Channel.IMPORT
    number: str = ""


@dataclass
class ImportResult:
    orders: int
    lines: int


ORDER_COLUMNS = (
    "id", "owner_id", "team_id", "version", "created_at", "updated_at", "contact_id", "number",
    "ordered_at", "status", "channel", "currency", "total_minor",
)  # fmt: skip
LINE_COLUMNS = ("id", "order_id", "product_id", "quantity", "unit_price_minor")
# Orders validated and written at a time: bounded memory for an import of any length.
IMPORT_CHUNK = 20_000
# Contacts whose owner and team an import remembers between chunks.
IMPORT_CONTACT_CACHE = 200_000


def _import_errors(orders: Sequence[OrderImport], first: int, *, contacts: Mapping[int, Any],
                   product_ids: set[int]) -> dict[str, str]:  # fmt: skip
    """Every problem of these orders, keyed "orders.<index>.<field>" (index in the import)."""
    errors: dict[str, str] = {}
    statuses, channels = set(Order.Status.values), set(Channel.values)
    for index, order in enumerate(orders, start=first):
        if order.contact_id not in contacts:
            errors[f"orders.{index}.contact_id"] = _(
                "This contact does not exist or is not visible to you."
            )
        if order.status not in statuses:
            errors[f"orders.{index}.status"] = _("“%(value)s” is not a valid choice.") % {
                "value": order.status
            }
        if order.channel not in channels:
            errors[f"orders.{index}.channel"] = _("“%(value)s” is not a valid choice.") % {
                "value": order.channel
            }
        if not order.lines:
            errors[f"orders.{index}.lines"] = _("An order needs at least one line.")
        for line_index, (product_id, quantity, price) in enumerate(order.lines):
            if product_id not in product_ids:
                errors[f"orders.{index}.lines.{line_index}.product_id"] = _(
                    "This product does not exist."
                )
            if quantity <= 0 or price < 0:
                errors[f"orders.{index}.lines.{line_index}.quantity"] = _(
                    "The quantity must be at least 1 and the price not negative."
                )
        if len(errors) >= 50:
            break
    return errors


def _contacts_known(by: User, ids: Iterable[int], known: dict[int, tuple[int, int | None]]) -> None:
    """Add the owner and team of those of `ids` that `by` may see to `known`."""
    ids = set(ids)
    missing = sorted(pk for pk in ids if pk not in known)
    if len(known) + len(missing) > IMPORT_CONTACT_CACHE:
        # Forget the earlier chunks' contacts, keeping none of this chunk's out.
        known.clear()
        missing = sorted(ids)
    if missing and missing[-1] - missing[0] < 4 * len(missing):
        # Dense ids (a customer file, a generator): one primary-key range reads them all,
        # cheaper than binding thousands of IN parameters.
        wanted = set(missing)
        for pk, owner_id, team_id in visible_to(
            Contact.objects.filter(pk__gte=missing[0], pk__lte=missing[-1]),
            user=by,
            module="contacts",
        ).values_list("pk", "owner_id", "team_id"):
            if pk in wanted:
                known[pk] = (owner_id, team_id)
        return
    for start in range(0, len(missing), 5000):
        chunk = missing[start : start + 5000]
        for pk, owner_id, team_id in visible_to(
            Contact.objects.filter(pk__in=chunk), user=by, module="contacts"
        ).values_list("pk", "owner_id", "team_id"):
            known[pk] = (owner_id, team_id)


@transaction.atomic
def orders_import(
    *,
    by: User,
    orders: Iterable[OrderImport],
    refresh_summaries: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """The bulk path: validate orders (visible contacts, known products, positive quantities)
    and write orders and lines with COPY / multi-row INSERTs, IMPORT_CHUNK orders at a time,
    then refresh the purchase summaries of the contacts touched. `orders` may be a generator
    of any length; `progress(orders, lines)` is called after each chunk.

    All or nothing: one transaction, and an error names the order ("orders.3.…"; the first
    chunk with errors is reported). Into an empty order table (a first load) the plain
    indexes of orders and lines are dropped and built once at the end (one sort per index
    instead of a random B-tree insert per row) and the summaries are computed in one pass;
    on PostgreSQL this holds the order table's lock until the import commits."""
    require(by, "orders", "create")
    with secondary_indexes_deferred([Order, OrderLine], foreign_keys=True) as first_load:
        return _orders_write(
            by=by, orders=orders, first_load=first_load,
            refresh_summaries=refresh_summaries, progress=progress,
        )  # fmt: skip


def _orders_write(
    *,
    by: User,
    orders: Iterable[OrderImport],
    first_load: bool,
    refresh_summaries: bool,
    progress: Callable[[int, int], None] | None,
) -> ImportResult:
    product_ids = set(Product.objects.values_list("pk", flat=True))
    statuses, channels = frozenset(Order.Status.values), frozenset(Channel.values)
    sqlite = connection.vendor == "sqlite"
    now = timezone.now()
    now_value = now.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if sqlite else now
    order_id = first_id = next_id(Order)
    line_id = next_id(OrderLine)
    known: dict[int, tuple[int, int | None]] = {}
    done_orders = done_lines = 0
    iterator = iter(orders)
    while chunk := list(islice(iterator, IMPORT_CHUNK)):
        chunk_contacts = {order.contact_id for order in chunk}
        _contacts_known(by, chunk_contacts, known)
        order_rows: list[tuple] = []
        line_rows: list[tuple] = []
        add_order, add_line, contact_of = order_rows.append, line_rows.append, known.get
        valid = True
        for order in chunk:
            contact = contact_of(order.contact_id)
            lines = order.lines
            if (
                contact is None
                or not lines
                or order.status not in statuses
                or order.channel not in channels
            ):
                valid = False
                break
            total = 0
            for product_id, quantity, price in lines:
                if quantity <= 0 or price < 0 or product_id not in product_ids:
                    valid = False
                    break
                add_line((line_id, order_id, product_id, quantity, price))
                line_id += 1
                total += quantity * price
            if not valid:
                break
            ordered_at: Any = order.ordered_at
            if sqlite:
                # As the ORM stores datetimes on SQLite: naive UTC text ("… 10:00:00[.123]").
                if ordered_at.tzinfo is UTC:
                    ordered_at = str(ordered_at)[:-6]
                else:
                    ordered_at = str(ordered_at.astimezone(UTC).replace(tzinfo=None))
            add_order(
                (order_id, contact[0], contact[1], 1, now_value, now_value, order.contact_id,
                 order.number, ordered_at, order.status, order.channel, order.currency, total)
            )  # fmt: skip
            order_id += 1
        if not valid:
            raise FieldError(
                _import_errors(chunk, done_orders, contacts=known, product_ids=product_ids)
            )
        values_write(Order._meta.db_table, ORDER_COLUMNS, order_rows)
        values_write(OrderLine._meta.db_table, LINE_COLUMNS, line_rows)
        done_orders += len(order_rows)
        done_lines += len(line_rows)
        if progress:
            progress(done_orders, done_lines)
    sequences_reset([Order, OrderLine])
    if done_orders:
        # one event for the batch, not one per order: handlers read the id range in bulk
        event_record(
            name="orders.imported", actor=by,
            payload={"first_order": first_id, "last_order": order_id - 1, "count": done_orders},
        )  # fmt: skip
    if refresh_summaries and done_orders:
        if first_load:  # no orders before: any summary left is stale
            PurchaseSummary.objects.all().delete()
        _purchase_summaries_add(first_order=first_id, last_order=order_id - 1)
    return ImportResult(orders=done_orders, lines=done_lines)


def _purchase_summaries_add(*, first_order: int, last_order: int) -> None:
    """Add the orders with ids first_order…last_order (all new) to the purchase summaries: one
    pass over that primary-key range, GROUP BY contact and currency, upserted."""
    quote = connection.ops.quote_name
    summary, order = quote(PurchaseSummary._meta.db_table), quote(Order._meta.db_table)
    counted = ", ".join(f"'{status}'" for status in Order.COUNTED)  # constants, not input
    with connection.cursor() as cursor:
        # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.
        cursor.execute(
            f"INSERT INTO {summary} AS s (contact_id, currency, order_count, total_minor, "  # noqa: S608
            "first_at, last_at) SELECT contact_id, currency, COUNT(*), SUM(total_minor), "
            f"MIN(ordered_at), MAX(ordered_at) FROM {order} WHERE id BETWEEN %s AND %s "
            f"AND status IN ({counted}) GROUP BY contact_id, currency HAVING true "
            "ON CONFLICT (contact_id, currency) DO UPDATE SET "
            "order_count = s.order_count + excluded.order_count, "
            "total_minor = s.total_minor + excluded.total_minor, "
            "first_at = CASE WHEN excluded.first_at < s.first_at OR s.first_at IS NULL"
            " THEN excluded.first_at ELSE s.first_at END, "
            "last_at = CASE WHEN excluded.last_at > s.last_at OR s.last_at IS NULL"
            " THEN excluded.last_at ELSE s.last_at END",
            [first_order, last_order],
        )
