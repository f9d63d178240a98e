"""Reads of contacts: the list page, one contact, its history, links and consents, the export."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kith.core.audit import history_for
from kith.core.errors import NotFound
from kith.core.models import ChangeRecord, Tag
from kith.core.pagination import Page
from kith.customers.models import Address, Consent, Contact, ContactPoint, Relationship
from kith.customers.selectors.lists import (
    CONTACT_PREFIX_FIELDS,
    CONTACT_SORTS,
    ContactFilters,
    contact_filters_extra_apply,
    list_page,
    owned_filter,
    searched,
)
from kith.identity.access import require, visible_to
from kith.identity.models import User

# Related rows land in plain lists (`tag_list`, `point_list`, `address_list`): Django's
# per-instance related managers cost more than the queries on a 50-row page.
_ROW_DEFERRED = ("search_text", "company__search_text", "owner__password")


def _contacts_filtered(
    *, user: User, filters: ContactFilters, search: bool = True
) -> QuerySet[Contact]:
    contacts = visible_to(Contact.objects.all(), user=user, module="contacts")
    if filters.stage:
        contacts = contacts.filter(lifecycle_stage=filters.stage)
    if filters.company_id:
        contacts = contacts.filter(company_id=filters.company_id)
    contacts = owned_filter(contacts, model="customers.contact", filters=filters)
    contacts = contact_filters_extra_apply(contacts, filters.extra)
    if search:
        contacts = searched(contacts, filters.q, prefix_fields=CONTACT_PREFIX_FIELDS)
    return contacts


def _contact_rows(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return (
        contacts.select_related("company", "owner", "team")
        .defer(*_ROW_DEFERRED)
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name"), to_attr="tag_list"),
            Prefetch(
                "points",
                queryset=ContactPoint.objects.order_by("kind", "-is_primary", "id"),
                to_attr="point_list",
            ),
            Prefetch("addresses", queryset=Address.objects.order_by("id"), to_attr="address_list"),
        )
    )


def contacts_list(
    *,
    user: User,
    filters: ContactFilters | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Contact]:
    """One page of the contacts `user` may see, filtered and sorted (sort None: by name, or
    newest first when searching)."""
    filters = filters or ContactFilters()
    return list_page(
        _contact_rows(_contacts_filtered(user=user, filters=filters, search=False)),
        q=filters.q,
        sorts=CONTACT_SORTS,
        sort=sort,
        cursor=cursor,
        limit=limit,
        prefix_fields=CONTACT_PREFIX_FIELDS,
    )


def contact_get(*, user: User, contact_id: int) -> Contact:
    """One contact with its points, addresses, tags, company, owner and team; NotFound if not visible."""
    contact = (
        _contact_rows(visible_to(Contact.objects.all(), user=user, module="contacts"))
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound(_("Not found."))
    return contact


def contact_history(*, user: User, contact: Contact, limit: int = 100) -> list[ChangeRecord]:
    """The newest changes of a contact the user can see (who, when, field, old -> new)."""
    contact_get(user=user, contact_id=contact.pk)
    return history_for(model="customers.contact", object_id=contact.pk, limit=limit)


def contact_relationships(*, user: User, contact: Contact) -> list[Relationship]:
    """Links from and to `contact` whose other contact the user may also see."""
    links = list(
        Relationship.objects.filter(Q(from_contact=contact) | Q(to_contact=contact))
        .select_related("from_contact", "to_contact")
        .order_by("kind", "id")
    )
    others = {
        r.to_contact_id if r.from_contact_id == contact.pk else r.from_contact_id for r in links
    }
    visible = set(
        visible_to(Contact.objects.filter(pk__in=others), user=user, module="contacts").values_list(
            "pk", flat=True
        )
    )
    return [
        r
        for r in links
        if (r.to_contact_id if r.from_contact_id == contact.pk else r.from_contact_id) in visible
    ]


def contact_consents(*, contact: Contact) -> list[Consent]:
    """The consent in force for each (channel, purpose) the contact ever answered."""
    current: dict[tuple[str, str], Consent] = {}
    for consent in Consent.objects.filter(contact=contact).order_by("-at", "-id"):
        current.setdefault((consent.channel, consent.purpose), consent)
    return sorted(current.values(), key=lambda c: (c.channel, c.purpose))


def contacts_export(
    *, user: User, filters: ContactFilters | None = None, batch: int = 2000
) -> Iterator[Contact]:
    """Every contact of the filtered list, for export; needs the export right. Streams in batches."""
    require(user, "contacts", "export")
    contacts = _contacts_filtered(user=user, filters=filters or ContactFilters())
    return _contact_rows(contacts).order_by("order_name", "pk").iterator(chunk_size=batch)
