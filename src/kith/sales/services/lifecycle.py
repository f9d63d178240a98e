"""The lifecycle stage follows the facts: a subscriber or lead with a paid order is a customer.
Run on order events (SalesConfig.ready registers the handler) and once over the existing
contacts by the data migration sales 0008."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, F, OuterRef

from kith.core.events import events_record_many
from kith.core.models import ChangeRecord, DomainEvent
from kith.customers.models import Contact
from kith.sales.models import Order

# An order the customer paid for (and did not get all of back).
PAID = (Order.Status.PAID, Order.Status.FULFILLED, Order.Status.PARTIALLY_REFUNDED)
BEFORE_CUSTOMER = (Contact.Stage.SUBSCRIBER, Contact.Stage.LEAD)
CHUNK = 1000


@transaction.atomic
def contacts_stage_from_orders(*, contact_ids: Iterable[int] | None = None) -> int:
    """Make customers of the subscribers and leads (among `contact_ids`; None: all) that have
    a paid order. Each change is in the contact's history (actor: the system) and emitted as
    contact.updated {changed: ["lifecycle_stage"]}. Idempotent; returns how many changed."""
    paid = Order.objects.filter(contact_id=OuterRef("pk"), status__in=PAID)
    candidates = Contact.objects.filter(lifecycle_stage__in=BEFORE_CUSTOMER).filter(Exists(paid))
    ids = None if contact_ids is None else sorted(set(contact_ids))
    changed, last = 0, 0
    while True:
        rows = candidates.filter(pk__gt=last)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        chunk = list(rows.order_by("pk").values_list("pk", "lifecycle_stage")[:CHUNK])
        if not chunk:
            return changed
        pks = [pk for pk, _stage in chunk]
        Contact.objects.filter(pk__in=pks).update(
            lifecycle_stage=Contact.Stage.CUSTOMER, version=F("version") + 1
        )
        ChangeRecord.objects.bulk_create(
            ChangeRecord(
                model="customers.contact",
                object_id=pk,
                action=ChangeRecord.Action.UPDATE,
                field="lifecycle_stage",
                old_value=stage,
                new_value=Contact.Stage.CUSTOMER,
            )
            for pk, stage in chunk
        )
        events_record_many(
            name="contact.updated", model=Contact, object_ids=pks,
            payload={"changed": ["lifecycle_stage"]},
        )  # fmt: skip
        changed += len(chunk)
        last = pks[-1]


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
