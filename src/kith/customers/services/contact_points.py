"""A contact's emails, phones, social handles and addresses, and the keys derived from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kith.customers.indexing import contact_index_fields
from kith.customers.models import Address, Contact, ContactPoint
from kith.customers.points import PointInput, addresses_clean, points_clean

POINT_LISTS = {
    "emails": ContactPoint.Kind.EMAIL,
    "phones": ContactPoint.Kind.PHONE,
    "socials": ContactPoint.Kind.SOCIAL,
}


def contact_reindex(contact: Contact, points: Sequence[PointInput | ContactPoint]) -> None:
    """Recompute the denormalised primaries and the search/sort keys from `points`."""
    by_kind: dict[str, list[str]] = {kind: [] for kind in POINT_LISTS.values()}
    primary: dict[str, str] = {}
    for p in points:
        by_kind[p.kind].append(p.value)
        if p.is_primary:
            primary[p.kind] = p.value
    contact.primary_email = primary.get(ContactPoint.Kind.EMAIL, "")
    contact.primary_phone = primary.get(ContactPoint.Kind.PHONE, "")
    keys = contact_index_fields(
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        emails=by_kind[ContactPoint.Kind.EMAIL],
        phones=by_kind[ContactPoint.Kind.PHONE],
        socials=by_kind[ContactPoint.Kind.SOCIAL],
        company_name=contact.company.name if contact.company_id and contact.company else "",
    )
    for name, value in keys.items():
        setattr(contact, name, value)


def points_changed(
    *,
    contact: Contact,
    changes: Mapping[str, Any],
    creating: bool,
    errors: dict[str, str],
    region: str | None = None,
) -> list[PointInput] | None:
    """The contact's whole set of points after `changes` (lists not named stay), or None when
    no list was named; problems are noted in `errors` keyed like "emails.0"."""
    if not any(name in changes for name in POINT_LISTS):
        return None
    current = [] if creating else list(contact.points.all())
    points: list[PointInput] = []
    for list_name, kind in POINT_LISTS.items():
        if list_name in changes:
            points += points_clean(kind, changes[list_name] or (), errors, region=region)
        else:
            points += [
                PointInput(kind=p.kind, value=p.value, label=p.label, is_primary=p.is_primary)
                for p in current
                if p.kind == kind
            ]
    return points


def addresses_changed(
    *, changes: Mapping[str, Any], errors: dict[str, str]
) -> list[dict[str, str]] | None:
    """The addresses named in `changes`, cleaned, or None when they were not named."""
    if "addresses" not in changes:
        return None
    return addresses_clean(changes["addresses"] or (), errors)


def points_replace(contact: Contact, points: Sequence[PointInput]) -> None:
    """Replace all of the contact's points with `points`."""
    contact.points.all().delete()
    ContactPoint.objects.bulk_create(
        [
            ContactPoint(
                contact=contact,
                kind=p.kind,
                value=p.value,
                label=p.label,
                is_primary=p.is_primary,
            )
            for p in points
        ]
    )


def addresses_replace(contact: Contact, addresses: Sequence[Mapping[str, Any]]) -> None:
    """Replace all of the contact's addresses with `addresses` (cleaned rows)."""
    contact.addresses.all().delete()
    Address.objects.bulk_create([Address(contact=contact, **row) for row in addresses])
