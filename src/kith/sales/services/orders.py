"""Orders one by one, their status, and the purchase summaries computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.core.validation import choice_check, currency_clean, text_clean, version_check
from kith.customers.models import Contact
from kith.identity.access import for_write, require, visible_to
from kith.identity.models import User
from kith.sales.models import Channel, Order, OrderLine, Product, PurchaseSummary


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int
    unit_price_minor: int | None = None  # None: the product's price


def purchase_summaries_refresh(*, contact_ids: Iterable[int]) -> int:
    """Recompute the purchase summaries of these contacts from their orders, in the database
    (DELETE, then INSERT … SELECT … GROUP BY over an index range per contact); returns how
    many contacts were refreshed."""
    ids = sorted(set(contact_ids))
    quote = connection.ops.quote_name
    summary, order = quote(PurchaseSummary._meta.db_table), quote(Order._meta.db_table)
    counted = ", ".join(f"'{status}'" for status in Order.COUNTED)  # constants, not input
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {summary} WHERE contact_id IN ({marks})", chunk)  # noqa: S608
            cursor.execute(
                f"INSERT INTO {summary} (contact_id, currency, order_count, total_minor, "  # noqa: S608
                "first_at, last_at) SELECT contact_id, currency, COUNT(*), SUM(total_minor), "
                f"MIN(ordered_at), MAX(ordered_at) FROM {order} WHERE contact_id IN ({marks}) "
                f"AND status IN ({counted}) GROUP BY contact_id, currency",
                chunk,
            )
    return len(ids)


@transaction.atomic
def order_create(
    *,
    by: User,
    contact_id: int,
    lines: Sequence[LineInput],
    ordered_at: datetime | None = None,
    status: str = Order.Status.PAID,
    channel: str = Channel.WEB_FORM,
    currency: str = "USD",
    number: str = "",
) -> Order:
    """An order of a visible contact with its lines; updates the contact's purchase summary."""
    require(by, "orders", "create")
    errors: dict[str, str] = {}
    contact = (
        visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk=contact_id).first()
    )
    if contact is None:
        errors["contact_id"] = _("This contact does not exist or is not visible to you.")
    choice_check(status, Order.Status.values, field="status", errors=errors)
    choice_check(channel, Channel.values, field="channel", errors=errors)
    currency = currency_clean(currency, field="currency", errors=errors)
    number = text_clean(number, field="number", limit=40, errors=errors)
    if not lines:
        errors["lines"] = _("An order needs at least one line.")
    products = Product.objects.in_bulk([line.product_id for line in lines])
    for index, line in enumerate(lines):
        if line.product_id not in products:
            errors[f"lines.{index}.product_id"] = _("This product does not exist.")
        if line.quantity <= 0:
            errors[f"lines.{index}.quantity"] = _("The quantity must be at least 1.")
        if line.unit_price_minor is not None and line.unit_price_minor < 0:
            errors[f"lines.{index}.unit_price_minor"] = _("The price cannot be negative.")
    if errors:
        raise FieldError(errors)
    assert contact is not None
    rows = [
        OrderLine(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor
            if line.unit_price_minor is not None
            else products[line.product_id].price_minor,
        )
        for line in lines
    ]
    order = Order.objects.create(
        contact=contact,
        owner_id=contact.owner_id,
        team_id=contact.team_id,
        ordered_at=ordered_at or timezone.now(),
        status=status,
        channel=channel,
        currency=currency,
        number=number,
        total_minor=sum(r.quantity * r.unit_price_minor for r in rows),
    )
    for row in rows:
        row.order = order
    OrderLine.objects.bulk_create(rows)
    changes_record(instance=order, actor=by, before=None, after={})
    # The lines (ids, amounts, category codes: no personal data) let loyalty earn per product.
    lines_payload = [
        {"product_id": r.product_id, "quantity": r.quantity, "amount_minor": r.quantity * r.unit_price_minor,
         "category": products[r.product_id].category}
        for r in rows
    ]  # fmt: skip
    event_record(
        name="order.created", record=order, actor=by,
        payload={"contact_id": contact.pk, "total_minor": order.total_minor, "currency": currency, "status": status,
                 "ordered_at": order.ordered_at.isoformat(), "lines": lines_payload},
    )  # fmt: skip
    purchase_summaries_refresh(contact_ids=[contact.pk])
    return order


@transaction.atomic
def order_status_set(*, by: User, order_id: int, status: str, version: int | None = None) -> Order:
    """Change an order's status (a cancelled or refunded order leaves the purchase summary);
    `version` is the one the change was made from (a stale one is refused)."""
    order = for_write(Order, module="orders", by=by, pk=order_id, right="edit")
    version_check(order, version)
    errors: dict[str, str] = {}
    choice_check(status, Order.Status.values, field="status", errors=errors)
    if errors:
        raise FieldError(errors)
    before = {"status": order.status}
    order.status = status
    order.version += 1
    order.save()
    changes_record(instance=order, actor=by, before=before, after={"status": status})
    if before["status"] != status:
        moved = {
            "from_status": before["status"],
            "to_status": status,
            "contact_id": order.contact_id,
        }
        event_record(name="order.status_changed", record=order, actor=by, payload=moved)
        if status in (Order.Status.CANCELLED, Order.Status.REFUNDED):
            # loyalty and the analytics undo what the order earned on these two
            event_record(name=f"order.{status}", record=order, actor=by, payload=moved)
    purchase_summaries_refresh(contact_ids=[order.contact_id])
    return order
