"""The lifecycle stage follows the facts: a subscriber or lead with a paid order is a customer;
a customer whose orders were all refunded or cancelled is a lead again; a customer who has not
bought for CHURN_DAYS is churned (the definition insights' KPIs use: no purchase in 180 days),
and a churned contact who buys again is a customer. Run on order events (SalesConfig.ready
registers the handler), nightly for the churn (time passes without events), and once over the
existing contacts by the data migration sales 0008."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from kith.core.events import events_record_many
from kith.core.models import ChangeRecord, DomainEvent
from kith.customers.models import Contact
from kith.sales.models import Order

# An order the customer paid for (and did not get all of back).
PAID = (Order.Status.PAID, Order.Status.FULFILLED, Order.Status.PARTIALLY_REFUNDED)
BEFORE_CUSTOMER = (Contact.Stage.SUBSCRIBER, Contact.Stage.LEAD)
CHUNK = 1000
CHURN_DAYS = 180  # = kith.insights.engine.kpis' churn_days default


def _churn_since(today: date) -> datetime:
    """The start of the CHURN_DAYS window before `today`: a paid order since then is recent."""
    return timezone.make_aware(datetime.combine(today - timedelta(days=CHURN_DAYS), time.min))


def _stage_set(candidates: Any, *, stage: str, ids: list[int] | None) -> int:
    """Move `candidates` (contacts; among `ids` when given) to `stage` in chunks, each change in
    the contact's history (actor: the system) and emitted as contact.updated."""
    changed, last = 0, 0
    while True:
        rows = candidates.filter(pk__gt=last)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        chunk = list(rows.order_by("pk").values_list("pk", "lifecycle_stage")[:CHUNK])
        if not chunk:
            return changed
        pks = [pk for pk, _stage in chunk]
        Contact.objects.filter(pk__in=pks).update(lifecycle_stage=stage, version=F("version") + 1)
        ChangeRecord.objects.bulk_create(
            ChangeRecord(
                model="customers.contact",
                object_id=pk,
                action=ChangeRecord.Action.UPDATE,
                field="lifecycle_stage",
                old_value=old,
                new_value=stage,
            )
            for pk, old in chunk
        )
        events_record_many(
            name="contact.updated", model=Contact, object_ids=pks,
            payload={"changed": ["lifecycle_stage"]},
        )  # fmt: skip
        changed += len(chunk)
        last = pks[-1]


@transaction.atomic
def contacts_stage_from_orders(
    *, contact_ids: Iterable[int] | None = None, today: date | None = None
) -> int:
    """Make customers of the subscribers and leads (among `contact_ids`; None: all) that have
    a paid order, and of the churned who paid for an order in the last CHURN_DAYS; make leads
    again of the customers whose orders were all refunded or cancelled (at least one refunded).
    Each change is in the contact's history (actor: the system) and emitted as contact.updated
    {changed: ["lifecycle_stage"]}. Idempotent; returns how many changed."""
    today = today or timezone.localdate()
    ids = None if contact_ids is None else sorted(set(contact_ids))
    paid = Order.objects.filter(contact_id=OuterRef("pk"), status__in=PAID)
    since = _churn_since(today)
    promote = Contact.objects.alias(
        has_paid=Exists(paid), has_recent=Exists(paid.filter(ordered_at__gte=since))
    ).filter(
        Q(lifecycle_stage__in=BEFORE_CUSTOMER, has_paid=True)
        | Q(lifecycle_stage=Contact.Stage.CHURNED, has_recent=True)
    )
    changed = _stage_set(promote, stage=Contact.Stage.CUSTOMER, ids=ids)
    refunded = Order.objects.filter(contact_id=OuterRef("pk"), status=Order.Status.REFUNDED)
    demote = Contact.objects.filter(lifecycle_stage=Contact.Stage.CUSTOMER).filter(
        Exists(refunded), ~Exists(paid)
    )
    return changed + _stage_set(demote, stage=Contact.Stage.LEAD, ids=ids)


@transaction.atomic
def contacts_churn_mark(*, today: date | None = None) -> int:
    """Mark churned the customers whose last paid order is more than CHURN_DAYS before `today`
    (the nightly schedule). Customers without any paid order are left alone (made customers by
    hand or an import). Returns how many changed."""
    today = today or timezone.localdate()
    since = _churn_since(today)
    lapsed = (
        Contact.objects.filter(lifecycle_stage=Contact.Stage.CUSTOMER)
        .filter(Exists(Order.objects.filter(contact_id=OuterRef("pk"), status__in=PAID)))
        .exclude(
            Exists(
                Order.objects.filter(
                    contact_id=OuterRef("pk"), status__in=PAID, ordered_at__gte=since
                )
            )
        )
    )
    return _stage_set(lapsed, stage=Contact.Stage.CHURNED, ids=None)


def stage_on_order_event(event: DomainEvent) -> None:
    """The handler of order.created / updated / status_changed and orders.imported."""
    if event.name == "orders.imported":
        first, end = event.payload.get("first_order"), event.payload.get("last_order")
        if first is None or end is None:
            return
        contact_ids = (
            Order.objects.filter(pk__range=(first, end))
            .values_list("contact_id", flat=True)
            .distinct()
        )
        contacts_stage_from_orders(contact_ids=list(contact_ids))
        return
    contact_id = event.payload.get("contact_id")
    if contact_id:
        contacts_stage_from_orders(contact_ids=[int(contact_id)])
