"""Orders one by one, their status, and the purchase summaries computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

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
from kith.sales.money import money_format
from kith.sales.services.rates import money_convert


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
                "first_at, last_at) SELECT contact_id, currency, COUNT(*), "
                "SUM(total_minor - refunded_minor), "
                f"MIN(ordered_at), MAX(ordered_at) FROM {order} WHERE contact_id IN ({marks}) "
                f"AND status IN ({counted}) GROUP BY contact_id, currency",
                chunk,
            )
    return len(ids)


def _lines_check(
    lines: Sequence[LineInput], errors: dict[str, str], *, currency: str, day: date
) -> list[OrderLine]:
    """Unsaved OrderLines for `lines`; bad ones go to `errors` as lines.<n>.<field>. A line
    without a unit price gets the product's price, converted into the order's `currency` at the
    exchange rate of `day` when the product is priced in another one."""
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
        return []
    rows = []
    for index, line in enumerate(lines):
        price = line.unit_price_minor
        if price is None:
            product = products[line.product_id]
            price = money_convert(
                minor=product.price_minor, currency=product.currency, into=currency, day=day
            )
            if price is None:
                errors[f"lines.{index}.unit_price_minor"] = _(
                    "%(sku)s is priced in %(from)s and there is no %(from)s → %(to)s exchange "
                    "rate for %(day)s: type the unit price, or ask an admin to add the rate "
                    "(Products → Exchange rates)."
                ) % {"sku": product.sku, "from": product.currency, "to": currency, "day": day}
                continue
        rows.append(
            OrderLine(product_id=line.product_id, quantity=line.quantity, unit_price_minor=price)
        )
    return rows


def _contact_check(*, by: User, contact_id: int, errors: dict[str, str]) -> Contact | None:
    contact = (
        visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk=contact_id).first()
    )
    if contact is None:
        errors["contact_id"] = _("This contact does not exist or is not visible to you.")
    return contact


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
    contact = _contact_check(by=by, contact_id=contact_id, errors=errors)
    choice_check(status, Order.Status.values, field="status", errors=errors)
    choice_check(channel, Channel.values, field="channel", errors=errors)
    currency = currency_clean(currency, field="currency", errors=errors)
    number = text_clean(number, field="number", limit=40, errors=errors)
    ordered_at = ordered_at or timezone.now()
    rows = _lines_check(lines, errors, currency=currency, day=timezone.localdate(ordered_at))
    if errors:
        raise FieldError(errors)
    assert contact is not None
    order = Order.objects.create(
        contact=contact,
        owner_id=contact.owner_id,
        team_id=contact.team_id,
        ordered_at=ordered_at,
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
    products = Product.objects.in_bulk({r.product_id for r in rows})
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


ORDER_FIELDS = frozenset({"contact_id", "ordered_at", "channel", "currency", "number"})
# The statuses a cancel or refund needs a reason for.
NEEDS_REASON = (Order.Status.CANCELLED, Order.Status.REFUNDED, Order.Status.PARTIALLY_REFUNDED)


def _order_snapshot(order: Order) -> dict[str, str]:
    return {
        "contact": str(order.contact_id),
        "ordered_at": order.ordered_at.isoformat() if order.ordered_at else "",
        "channel": order.channel,
        "currency": order.currency,
        "number": order.number,
        "total_minor": str(order.total_minor),
    }


@transaction.atomic
def order_update(
    *,
    by: User,
    order_id: int,
    version: int | None = None,
    lines: Sequence[LineInput] | None = None,
    **changes: object,
) -> Order:
    """Change an order that is not fulfilled yet (placed or paid): its customer, date, channel,
    currency, number, and (when `lines` is given) all its lines. In history, emitted as
    order.updated {changed, contact_id}; both customers' purchase summaries follow."""
    unknown = sorted(set(changes) - ORDER_FIELDS)
    if unknown:
        raise FieldError({name: _("This field cannot be changed.") for name in unknown})
    order = for_write(Order, module="orders", by=by, pk=order_id, right="edit")
    version_check(order, version)
    if not order.is_editable:
        raise FieldError.one(
            "status",
            _("A %(status)s order cannot be changed any more.")
            % {"status": Order.Status(order.status).label.lower()},
        )
    errors: dict[str, str] = {}
    before = _order_snapshot(order)
    old_contact = order.contact_id
    if "contact_id" in changes and changes["contact_id"] != order.contact_id:
        contact = _contact_check(by=by, contact_id=int(str(changes["contact_id"])), errors=errors)
        if contact is not None:
            order.contact = contact
            order.owner_id, order.team_id = contact.owner_id, contact.team_id
    if changes.get("ordered_at"):
        order.ordered_at = changes["ordered_at"]  # type: ignore[assignment]
    if "channel" in changes:
        order.channel = str(changes["channel"])
        choice_check(order.channel, Channel.values, field="channel", errors=errors)
    old_currency = order.currency
    if "currency" in changes:
        order.currency = currency_clean(str(changes["currency"]), field="currency", errors=errors)
    if "number" in changes:
        order.number = text_clean(
            str(changes["number"] or ""), field="number", limit=40, errors=errors
        )
    day = timezone.localdate(order.ordered_at)
    rows = None
    if lines is not None:
        rows = _lines_check(lines, errors, currency=order.currency, day=day)
    elif order.currency != old_currency and not errors:
        # Same lines in another currency: their prices are converted, never relabelled.
        rows = []
        for line in order.lines.all():
            price = money_convert(
                minor=line.unit_price_minor, currency=old_currency, into=order.currency, day=day
            )
            if price is None:
                errors["currency"] = _(
                    "There is no %(from)s → %(to)s exchange rate for %(day)s: change the lines' "
                    "prices too, or ask an admin to add the rate."
                ) % {"from": old_currency, "to": order.currency, "day": day}
                break
            rows.append(
                OrderLine(
                    product_id=line.product_id, quantity=line.quantity, unit_price_minor=price
                )
            )
    if errors:
        raise FieldError(errors)
    if rows is not None:
        order.lines.all().delete()
        for row in rows:
            row.order = order
        OrderLine.objects.bulk_create(rows)
        order.total_minor = sum(r.quantity * r.unit_price_minor for r in rows)
    after = _order_snapshot(order)
    changed = {k for k in after if after[k] != before[k]}
    if lines is not None:
        changed.add("lines")
    if not changed:
        return order
    order.version += 1
    order.save()
    changes_record(instance=order, actor=by, before=before, after=after)
    event_record(
        name="order.updated", record=order, actor=by,
        payload={"changed": sorted(changed), "contact_id": order.contact_id, "total_minor": order.total_minor,
                 "currency": order.currency, "status": order.status},
    )  # fmt: skip
    purchase_summaries_refresh(contact_ids={old_contact, order.contact_id})
    return order


@transaction.atomic
def order_status_set(
    *,
    by: User,
    order_id: int,
    status: str,
    version: int | None = None,
    reason: str = "",
    refund_minor: int | None = None,
) -> Order:
    """Move an order along Order.TRANSITIONS (placed → paid → fulfilled; cancelled, refunded
    and partially refunded with a reason). A refund is of `refund_minor` (minor units; default
    what is left of the total): less than that leaves it partially refunded. The purchase
    summary follows; order.status_changed {from_status, to_status, contact_id} is emitted, and
    order.cancelled / order.refunded (with amount_minor, refunded_minor, total_minor, currency)
    where the move is one. `version` is the one the change was made from."""
    order = for_write(Order, module="orders", by=by, pk=order_id, right="edit")
    version_check(order, version)
    errors: dict[str, str] = {}
    choice_check(status, Order.Status.values, field="status", errors=errors)
    if errors:
        raise FieldError(errors)
    if status == order.status and status != Order.Status.PARTIALLY_REFUNDED:
        return order
    if status not in order.next_statuses():
        raise FieldError.one(
            "status",
            _("An order cannot go from %(old)s to %(new)s.")
            % {"old": Order.Status(order.status).label, "new": Order.Status(status).label},
        )
    reason = text_clean(reason, field="reason", limit=200, errors=errors)
    if status in NEEDS_REASON and not reason:
        errors["reason"] = _("Give the reason for the cancellation or refund.")
    refund = 0
    if status in (Order.Status.REFUNDED, Order.Status.PARTIALLY_REFUNDED):
        left = order.total_minor - order.refunded_minor
        refund = left if refund_minor is None else refund_minor
        if refund <= 0 or refund > left:
            errors["refund_minor"] = _("Refund between %(low)s and %(high)s.") % {
                "low": money_format(min(1, left), order.currency),
                "high": money_format(left, order.currency),
            }
        elif refund == left:
            status = Order.Status.REFUNDED
        else:
            status = Order.Status.PARTIALLY_REFUNDED
    if errors:
        raise FieldError(errors)
    before = {"status": order.status, "refunded_minor": str(order.refunded_minor),
              "status_reason": order.status_reason}  # fmt: skip
    order.status = status
    order.refunded_minor += refund
    if reason:
        order.status_reason = reason
    order.version += 1
    order.save()
    after = {"status": status, "refunded_minor": str(order.refunded_minor),
             "status_reason": order.status_reason}  # fmt: skip
    changes_record(instance=order, actor=by, before=before, after=after)
    moved = {"from_status": before["status"], "to_status": status, "contact_id": order.contact_id}
    event_record(name="order.status_changed", record=order, actor=by, payload=moved)
    if status == Order.Status.CANCELLED:
        event_record(name="order.cancelled", record=order, actor=by, payload=moved)
    elif refund:
        # loyalty and the analytics undo what the refunded part of the order earned
        amounts = {"amount_minor": refund, "refunded_minor": order.refunded_minor,
                   "total_minor": order.total_minor, "currency": order.currency}  # fmt: skip
        event_record(name="order.refunded", record=order, actor=by, payload={**moved, **amounts})
    purchase_summaries_refresh(contact_ids=[order.contact_id])
    return order


def order_cancel(*, by: User, order_id: int, reason: str, version: int | None = None) -> Order:
    """Cancel an order that was not fulfilled (placed or paid), with its reason."""
    return order_status_set(
        by=by, order_id=order_id, status=Order.Status.CANCELLED, version=version, reason=reason
    )


def order_refund(
    *,
    by: User,
    order_id: int,
    reason: str,
    amount_minor: int | None = None,
    version: int | None = None,
) -> Order:
    """Refund `amount_minor` of a paid or fulfilled order (default: all that is left), with its
    reason; part of it leaves the order partially refunded."""
    return order_status_set(
        by=by, order_id=order_id, status=Order.Status.REFUNDED, version=version,
        reason=reason, refund_minor=amount_minor,
    )  # fmt: skip
