"""The bulk path of orders: validate and write orders and lines with COPY / multi-row
INSERTs, then refresh the purchase summaries of the contacts touched."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

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


def _ids_next(model: Any) -> int:
    return int(model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _rows_write(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain value tuples: COPY on PostgreSQL; on SQLite multi-row INSERT statements
    (one statement per thousand rows is several times faster than executemany's statement per
    row, which also rewrites sqlite_sequence each time)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3 cursor
            with raw.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    import sqlite3

    connection.ensure_connection()
    db = connection.connection
    # A statement of a thousand rows, compiled once and cached: SQLite's compile time grows with
    # the statement, so the longest statement it accepts is several times slower.
    per = max(1, min(1000, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))
    group = "(" + ", ".join(["?"] * len(columns)) + ")"
    full = f"INSERT INTO {quote(table)} ({cols}) VALUES " + ", ".join([group] * per)  # noqa: S608
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        sql = (
            full
            if len(chunk) == per
            else full[: full.index(" VALUES ") + 8] + ", ".join([group] * len(chunk))
        )
        db.execute(sql, list(chain.from_iterable(chunk)))


def _sequences_reset() -> None:
    from django.core.management.color import no_style

    for sql in connection.ops.sequence_reset_sql(no_style(), [Order, OrderLine]):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _plain_indexes_drop(models: Sequence[Any]) -> list[str]:
    """Drop the plain (not primary, not unique) indexes of these tables, and on PostgreSQL
    their foreign keys; returns the statements that bring them back. Only inside a
    transaction: a rollback restores them."""
    quote = connection.ops.quote_name
    found: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                    " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                    " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass"
                    " AND NOT x.indisprimary AND NOT x.indisunique",
                    [table],
                )
            found.extend(cursor.fetchall())
        for name, _sql in found:
            cursor.execute(f"DROP INDEX {quote(name)}")
        recreate = [sql for _name, sql in found]
        if connection.vendor == "postgresql":
            # PostgreSQL checks a foreign key with one locking lookup per row; added back at
            # the end, it validates every row in one join (the documented bulk-load advice).
            # ALTER TABLE also touches the referenced tables, which refuses while checks of
            # rows written earlier in this transaction are pending: run those now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    recreate.append(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
    return recreate


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
    first_load = not Order.objects.exists()
    indexes = _plain_indexes_drop([Order, OrderLine]) if first_load else []
    product_ids = set(Product.objects.values_list("pk", flat=True))
    statuses, channels = frozenset(Order.Status.values), frozenset(Channel.values)
    sqlite = connection.vendor == "sqlite"
    now = timezone.now()
    now_value = now.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if sqlite else now
    order_id = first_id = _ids_next(Order)
    line_id = _ids_next(OrderLine)
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
        _rows_write(Order._meta.db_table, ORDER_COLUMNS, order_rows)
        _rows_write(OrderLine._meta.db_table, LINE_COLUMNS, line_rows)
        done_orders += len(order_rows)
        done_lines += len(line_rows)
        if progress:
            progress(done_orders, done_lines)
    _sequences_reset()
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
    if indexes:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # CREATE INDEX refuses to run while the rows' deferred foreign-key checks are
                # pending: run them now (they would run at COMMIT anyway), then defer again.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for sql in indexes:
                cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
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
