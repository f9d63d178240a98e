"""Who is this customer? Contacts by their email and phone points, for every caller that has
an address or number in hand (lead conversion, web and support forms, mail filing, imports)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from kith.customers.models import Contact, ContactPoint
from kith.identity.access import visible_to
from kith.identity.models import User

_POINT_CHUNK = 500  # values per IN (...) list: well under SQLite's variable limit


def contact_ids_by_point(
    *, kind: str, values: Iterable[str], user: User | None = None
) -> dict[str, list[int]]:
    """value -> ids (ascending) of the contacts holding this email/phone/social `kind` point.

    `values` are normalised as stored (lower-case email, E.164 phone). `user` None is the system
    (public forms, mail filing, imports run by the worker for nobody): every contact counts;
    otherwise only contacts `user` may see. Values nobody holds are left out. The (kind, value)
    index finds the few points first; the scope then filters those contacts only, so the cost
    follows the number of values, not the size of the contact table.
    """
    wanted = sorted({v for v in values if v})
    hits: list[tuple[str, int]] = []
    for start in range(0, len(wanted), _POINT_CHUNK):
        hits += ContactPoint.objects.filter(
            kind=kind, value__in=wanted[start : start + _POINT_CHUNK]
        ).values_list("value", "contact_id")
    if user is not None and hits:
        ids = sorted({contact_id for _value, contact_id in hits})
        scope = visible_to(Contact.objects.all(), user=user, module="contacts")
        visible: set[int] = set()
        for start in range(0, len(ids), _POINT_CHUNK):
            chunk = ids[start : start + _POINT_CHUNK]
            visible.update(scope.filter(pk__in=chunk).values_list("pk", flat=True))
        hits = [(value, contact_id) for value, contact_id in hits if contact_id in visible]
    found: dict[str, list[int]] = {}
    for value, contact_id in sorted(hits):
        found.setdefault(value, []).append(contact_id)
    return found


def contacts_by_points(
    *, emails: Iterable[str] = (), phones: Iterable[str] = (), user: User | None = None
) -> QuerySet[Contact]:
    """The contacts holding any of these emails or phones (normalised as stored), by id.

    `user` None is the system (every contact); otherwise only contacts `user` may see. No
    values gives an empty queryset. Callers add select_related/ordering as they need.
    """
    match = Q()
    for kind, values in ((ContactPoint.Kind.EMAIL, emails), (ContactPoint.Kind.PHONE, phones)):
        wanted = sorted({v for v in values if v})
        if wanted:
            match |= Q(kind=kind, value__in=wanted)
    if not match:
        return Contact.objects.none()
    points = ContactPoint.objects.filter(match).values("contact_id")
    contacts = Contact.objects.filter(pk__in=points).order_by("pk")
    if user is None:
        return contacts
    return visible_to(contacts, user=user, module="contacts")
