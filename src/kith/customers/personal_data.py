"""The customers app's part of a contact's personal data: the record, its emails, phones,
social handles, addresses, relationships, consents and history (kith.core.apps)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from kith.core.personal_data import ERASED, history_erase, history_json, rows_json
from kith.customers.indexing import contact_index_fields
from kith.customers.models import Address, Consent, Contact, ContactPoint, Relationship


def export(contact_id: int) -> dict[str, Any]:
    points = ContactPoint.objects.filter(contact_id=contact_id)
    return {
        "contact": rows_json(Contact.objects.filter(pk=contact_id)),
        "contact_points": rows_json(points),
        "addresses": rows_json(Address.objects.filter(contact_id=contact_id)),
        "relationships": rows_json(
            Relationship.objects.filter(Q(from_contact_id=contact_id) | Q(to_contact_id=contact_id))
        ),
        "consents": rows_json(Consent.objects.filter(contact_id=contact_id)),
        "history": history_json("customers.contact", [contact_id])
        + history_json("customers.contactpoint", points.values_list("pk", flat=True)),
    }


def erase(contact_id: int) -> dict[str, int]:
    """Anonymise the contact (the row stays, so orders and tickets keep their customer as
    anonymous figures); delete its points, addresses and relationships; erase its history's
    values. Consents stay: they record what was agreed, not who."""
    point_ids = list(
        ContactPoint.objects.filter(contact_id=contact_id).values_list("pk", flat=True)
    )
    counts = {
        "history": history_erase("customers.contact", [contact_id])
        + history_erase("customers.contactpoint", point_ids),
        "contact_points": ContactPoint.objects.filter(pk__in=point_ids).delete()[0],
        "addresses": Address.objects.filter(contact_id=contact_id).delete()[0],
        "relationships": Relationship.objects.filter(
            Q(from_contact_id=contact_id) | Q(to_contact_id=contact_id)
        ).delete()[0],
    }
    index = contact_index_fields(first_name="", last_name="", full_name=ERASED)
    counts["contacts"] = Contact.objects.filter(pk=contact_id).update(
        first_name="",
        last_name="",
        full_name=ERASED,
        title="",
        custom={},
        primary_email="",
        primary_phone="",
        **index,
    )
    return counts
