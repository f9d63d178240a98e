"""Reads for companies and contacts, always through the permission gate `visible_to`.

List selectors return one keyset page with a fixed number of queries whatever its size:
the rows (with company, owner and team joined) plus one query per prefetched relation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kith.core.audit import history_for
from kith.core.custom_fields import custom_fields_of, custom_value_clean
from kith.core.errors import FieldError, NotFound
from kith.core.models import ChangeRecord, CustomField, Tag
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Address, Company, Consent, Contact, ContactPoint, Relationship
from kith.customers.search import (
    NEWEST,
    apply_search,
    paginate_search,
    search_ids,
    search_terms,
)
from kith.identity.access import require, visible_to
from kith.identity.models import User

__all__ = [
    "COMPANY_SORTS",
    "CONTACT_SORTS",
    "CompanyFilters",
    "ContactFilters",
    "ExtraContactFilter",
    "Page",
    "SearchResults",
    "companies_list",
    "company_get",
    "company_history",
    "contact_consents",
    "contact_filter_register",
    "contact_filters_extra",
    "contact_get",
    "contact_history",
    "contact_ids_by_point",
    "contact_relationships",
    "contacts_by_points",
    "contacts_export",
    "contacts_list",
    "custom_fields_for",
    "customers_search",
]

# Ids are given in creation order, so "created" sorts by id: the one order that the trigram
# index can also hand over (see kith.customers.search.paginate_search).
CONTACT_SORTS: dict[str, Ordering] = {
    "name": Ordering("sort_name"),
    "-name": Ordering("sort_name", descending=True),
    "created": Ordering("id"),
    "-created": NEWEST,
}
COMPANY_SORTS: dict[str, Ordering] = {
    "name": Ordering("sort_name"),
    "-name": Ordering("sort_name", descending=True),
    "created": Ordering("id"),
    "-created": NEWEST,
}
# A list without a chosen sort: by name, or newest first when searching.
DEFAULT_SORT = "name"
SEARCH_DEFAULT_SORT = "-created"
CONTACT_PREFIX_FIELDS = ("first_key", "last_key", "sort_name")
COMPANY_PREFIX_FIELDS = ("sort_name",)
MAX_PAGE = 200
# A company page shows its first contacts; the full list is the contacts list filtered by company.
COMPANY_CONTACTS_SHOWN = 20


@dataclass
class ContactFilters:
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    stage: str = ""
    company_id: int | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    # Values of filters that higher layers register (see contact_filter_register), by name.
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExtraContactFilter:
    """A contacts-list filter added by a higher layer (insights adds clv_min, segment, …).

    `apply(contacts, value)` narrows the queryset in the same query (a subquery, no extra round
    trip) and raises FieldError naming the filter for a bad value. `kind` is "number" or
    "choice"; `choices()` gives the (value, label) pairs of a choice filter.
    """

    name: str
    label: Any
    kind: str
    apply: Callable[[QuerySet[Contact], str], QuerySet[Contact]]
    choices: Callable[[], Sequence[tuple[str, Any]]] | None = None


_EXTRA_CONTACT_FILTERS: dict[str, ExtraContactFilter] = {}


def contact_filter_register(
    *,
    name: str,
    label: Any,
    apply: Callable[[QuerySet[Contact], str], QuerySet[Contact]],
    kind: str = "number",
    choices: Callable[[], Sequence[tuple[str, Any]]] | None = None,
) -> ExtraContactFilter:
    """Add a contacts-list filter (idempotent per name); call it from an AppConfig.ready()."""
    extra = ExtraContactFilter(name=name, label=label, kind=kind, apply=apply, choices=choices)
    _EXTRA_CONTACT_FILTERS[name] = extra
    return extra


def contact_filters_extra() -> list[ExtraContactFilter]:
    """The registered extra contact filters, in registration order."""
    return list(_EXTRA_CONTACT_FILTERS.values())


@dataclass
class CompanyFilters:
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    industry: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)


@dataclass
class SearchResults:
    contacts: list[Contact]
    companies: list[Company]


def custom_fields_for(*, model: str) -> list[CustomField]:
    """Custom field definitions of "customers.contact" or "customers.company"."""
    return custom_fields_of(model)


def _custom_filter(queryset: QuerySet, *, model: str, values: Mapping[str, str]) -> QuerySet:
    """Filter on custom field values, each compared as its field's type."""
    if not values:
        return queryset
    definitions = {d.key: d for d in custom_fields_of(model)}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise FieldError.one(
                f"custom.{key}", _("There is no custom field “%(key)s”.") % {"key": key}
            )
        try:
            value = custom_value_clean(definition, raw)
        except ValueError as exc:
            raise FieldError.one(f"custom.{key}", str(exc)) from exc
        if value is not None:
            queryset = queryset.filter(**{f"custom__{key}": value})
    return queryset


def default_sort(q: str) -> str:
    return SEARCH_DEFAULT_SORT if q.strip() else DEFAULT_SORT


def _ordering(sorts: Mapping[str, Ordering], sort: str) -> Ordering:
    if sort not in sorts:
        raise FieldError.one("sort", _("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(sorts)})
    return sorts[sort]


# --- contacts -----------------------------------------------------------------------------


def _contacts_filtered(
    *, user: User, filters: ContactFilters, search: bool = True
) -> QuerySet[Contact]:
    contacts = visible_to(Contact.objects.all(), user=user, module="contacts")
    if filters.owner_id:
        contacts = contacts.filter(owner_id=filters.owner_id)
    if filters.team_id:
        contacts = contacts.filter(team_id=filters.team_id)
    if filters.stage:
        contacts = contacts.filter(lifecycle_stage=filters.stage)
    if filters.company_id:
        contacts = contacts.filter(company_id=filters.company_id)
    if filters.tag:
        contacts = contacts.filter(tags__name=filters.tag)
    contacts = _custom_filter(contacts, model="customers.contact", values=filters.custom)
    for name, value in filters.extra.items():
        if value in ("", None):
            continue
        extra = _EXTRA_CONTACT_FILTERS.get(name)
        if extra is None:
            raise FieldError.one(name, _("Unknown field."))
        contacts = extra.apply(contacts, str(value))
    if filters.q.strip() and search:
        contacts = apply_search(
            contacts, search_terms(filters.q), prefix_fields=CONTACT_PREFIX_FIELDS
        )
    return contacts


# Related rows land in plain lists (`tag_list`, `point_list`, `address_list`): Django's
# per-instance related managers cost more than the queries on a 50-row page.
_ROW_DEFERRED = ("search_text", "company__search_text", "owner__password")


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
    ordering = _ordering(CONTACT_SORTS, sort or default_sort(filters.q))
    contacts = _contact_rows(_contacts_filtered(user=user, filters=filters, search=False))
    if filters.q.strip():
        return paginate_search(
            contacts,
            search_terms(filters.q),
            ordering=ordering,
            cursor=cursor,
            limit=min(limit, MAX_PAGE),
            prefix_fields=CONTACT_PREFIX_FIELDS,
        )
    return paginate(contacts, ordering=ordering, cursor=cursor, limit=min(limit, MAX_PAGE))


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
    return _contact_rows(contacts).order_by("sort_name", "pk").iterator(chunk_size=batch)


# --- companies ----------------------------------------------------------------------------


def _companies_filtered(
    *, user: User, filters: CompanyFilters, search: bool = True
) -> QuerySet[Company]:
    companies = visible_to(Company.objects.all(), user=user, module="companies")
    if filters.owner_id:
        companies = companies.filter(owner_id=filters.owner_id)
    if filters.team_id:
        companies = companies.filter(team_id=filters.team_id)
    if filters.industry:
        companies = companies.filter(industry=filters.industry)
    if filters.tag:
        companies = companies.filter(tags__name=filters.tag)
    companies = _custom_filter(companies, model="customers.company", values=filters.custom)
    if filters.q.strip() and search:
        companies = apply_search(
            companies, search_terms(filters.q), prefix_fields=COMPANY_PREFIX_FIELDS
        )
    return companies


def _company_rows(companies: QuerySet[Company]) -> QuerySet[Company]:
    return (
        companies.select_related("parent", "owner", "team")
        .defer("search_text", "parent__search_text", "owner__password")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name"), to_attr="tag_list")
        )
    )


def companies_export(
    *, user: User, filters: CompanyFilters | None = None, batch: int = 2000
) -> Iterator[Company]:
    """Every company of the filtered list, for export; needs the export right. Streams in batches."""
    require(user, "companies", "export")
    companies = _companies_filtered(user=user, filters=filters or CompanyFilters())
    return (
        companies.select_related("owner", "parent")
        .defer("search_text", "parent__search_text", "owner__password")
        .order_by("sort_name", "pk")
        .iterator(chunk_size=batch)
    )


def companies_list(
    *,
    user: User,
    filters: CompanyFilters | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Company]:
    """One page of the companies `user` may see, filtered and sorted (sort None: by name, or
    newest first when searching)."""
    filters = filters or CompanyFilters()
    ordering = _ordering(COMPANY_SORTS, sort or default_sort(filters.q))
    companies = _company_rows(_companies_filtered(user=user, filters=filters, search=False))
    if filters.q.strip():
        return paginate_search(
            companies,
            search_terms(filters.q),
            ordering=ordering,
            cursor=cursor,
            limit=min(limit, MAX_PAGE),
            prefix_fields=COMPANY_PREFIX_FIELDS,
        )
    return paginate(companies, ordering=ordering, cursor=cursor, limit=min(limit, MAX_PAGE))


def company_get(*, user: User, company_id: int) -> Company:
    """One company with parent, owner, team, tags, its visible subsidiaries and its first
    COMPANY_CONTACTS_SHOWN visible contacts (`visible_contacts`)."""
    visible_contacts = visible_to(Contact.objects.all(), user=user, module="contacts").order_by(
        "sort_name", "pk"
    )[:COMPANY_CONTACTS_SHOWN]
    visible_subsidiaries = visible_to(
        Company.objects.all(), user=user, module="companies"
    ).order_by("sort_name")
    company = (
        _company_rows(visible_to(Company.objects.all(), user=user, module="companies"))
        .prefetch_related(
            Prefetch("contacts", queryset=visible_contacts, to_attr="visible_contacts"),
            Prefetch("subsidiaries", queryset=visible_subsidiaries, to_attr="visible_subsidiaries"),
            "addresses",
        )
        .filter(pk=company_id)
        .first()
    )
    if company is None:
        raise NotFound(_("Not found."))
    return company


def company_history(*, user: User, company: Company, limit: int = 100) -> list[ChangeRecord]:
    """The newest changes of a company the user can see."""
    if not visible_to(
        Company.objects.filter(pk=company.pk), user=user, module="companies"
    ).exists():
        raise NotFound(_("Not found."))
    return history_for(model="customers.company", object_id=company.pk, limit=limit)


# --- search -------------------------------------------------------------------------------


def customers_search(*, user: User, query: str, limit: int = 10) -> SearchResults:
    """Contacts and companies matching `query` by name (any substring of 3+ characters, or the
    start of a name for shorter queries; accents and case ignored), email, phone in any format,
    or company name. Newest first."""
    terms = search_terms(query)
    contact_ids = search_ids(
        Contact,
        visible_to(Contact.objects.all(), user=user, module="contacts"),
        terms,
        prefix_fields=CONTACT_PREFIX_FIELDS,
        limit=limit,
    )
    company_ids = search_ids(
        Company,
        visible_to(Company.objects.all(), user=user, module="companies"),
        terms,
        prefix_fields=COMPANY_PREFIX_FIELDS,
        limit=limit,
    )
    contacts: dict[Any, Contact] = Contact.objects.select_related("company").in_bulk(contact_ids)
    companies: dict[Any, Company] = Company.objects.in_bulk(company_ids)
    return SearchResults(
        contacts=[contacts[i] for i in contact_ids if i in contacts],
        companies=[companies[i] for i in company_ids if i in companies],
    )


# --- who is this customer? ------------------------------------------------------------------

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
