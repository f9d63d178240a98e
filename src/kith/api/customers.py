"""Contacts, companies and search. Reads go through kith.customers.selectors, writes through
kith.customers.services; both apply the permission gate, so this module never filters or checks
rights itself. A record outside the caller's scope is a 404, the same as a missing one.

Rows are rendered from what the selectors loaded (`point_list`, `address_list`, `tag_list`, `company`,
`owner`, `team`), so a list page costs the same number of queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import JsonResponse
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, CountOut, ErrorOut, Ref, named_ref, user_ref
from kith.customers import selectors, services
from kith.customers.models import Company, Contact

router = Router()

CUSTOM_FILTER_PREFIX = "cf_"
MAX_PAGE_SIZE = 200
MAX_BULK = 1000
CustomValues = dict[str, Any]
# The default of every PATCH field: the handler passes on only the fields a client sent
# (exclude_unset), and a sent value must be valid, so `"title": null` is a 422, not a blank.
# No other default appears in the schema, so generated clients cannot resend one by accident.
NOT_SENT: Any = None


def custom_filters(request: ApiRequest) -> dict[str, str]:
    """`?cf_<key>=value` query parameters as {key: value} (the custom-field filters)."""
    return {
        name.removeprefix(CUSTOM_FILTER_PREFIX): request.GET[name]
        for name in request.GET
        if name.startswith(CUSTOM_FILTER_PREFIX) and len(name) > len(CUSTOM_FILTER_PREFIX)
    }


# --- shared pieces -----------------------------------------------------------------------------


class PointIn(Schema):
    value: str
    label: str = ""
    is_primary: bool = False


class PointOut(Schema):
    value: str
    label: str
    is_primary: bool


class AddressIn(Schema):
    kind: str = Field("work", description="home, work, billing or shipping")
    line1: str
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = Field("", description="ISO 3166-1 alpha-2 code")


class AddressOut(Schema):
    kind: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str


class OwnedOut(Schema):
    """Fields every customer record has: owner, team, tags, custom values and its version."""

    tags: list[str]
    custom: CustomValues
    owner: Ref
    team: Ref | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(record: Any) -> list[str]:
        return [tag.name for tag in record.tag_list]

    @staticmethod
    def resolve_owner(record: Any) -> dict[str, Any]:
        return user_ref(record.owner)

    @staticmethod
    def resolve_team(record: Any) -> dict[str, Any] | None:
        return named_ref(record.team)


class ListParams(Schema):
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = Field("", description="tag name")
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


# --- contacts ----------------------------------------------------------------------------------


def _points(contact: Contact, kind: str) -> list[Any]:
    # Filtered in Python: the selectors load every point of the page in one query.
    points = [p for p in contact.point_list if p.kind == kind]
    return sorted(points, key=lambda p: (not p.is_primary, p.pk))


class ContactOut(OwnedOut):
    id: int
    full_name: str
    first_name: str
    last_name: str
    title: str
    emails: list[PointOut]
    phones: list[PointOut]
    socials: list[PointOut]
    addresses: list[AddressOut]
    company: Ref | None
    lifecycle_stage: str
    source_channel: str

    @staticmethod
    def resolve_emails(contact: Contact) -> list[Any]:
        return _points(contact, "email")

    @staticmethod
    def resolve_phones(contact: Contact) -> list[Any]:
        return _points(contact, "phone")

    @staticmethod
    def resolve_socials(contact: Contact) -> list[Any]:
        return _points(contact, "social")

    @staticmethod
    def resolve_addresses(contact: Contact) -> list[Any]:
        return contact.address_list

    @staticmethod
    def resolve_company(contact: Contact) -> dict[str, Any] | None:
        return named_ref(contact.company)


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None
    prev_cursor: str | None


class ContactListParams(ListParams):
    stage: str = Field("", description="lifecycle stage")
    company_id: int | None = None
    # Scores of the latest insights run (contacts without a purchase have none and never match).
    clv_min: float | None = Field(None, description="customer lifetime value at least")
    clv_max: float | None = Field(None, description="customer lifetime value at most")
    churn_risk_min: float | None = Field(None, ge=0, le=1, description="churn risk at least (0-1)")
    churn_risk_max: float | None = Field(None, ge=0, le=1, description="churn risk at most (0-1)")
    segment: str = Field("", description="RFM segment (see /insights/segments)")
    sort: Literal[tuple(selectors.CONTACT_SORTS)] | None = Field(  # type: ignore[valid-type]
        None, description="default: name, or -created (newest first) when searching"
    )


EXTRA_FILTERS = ("clv_min", "clv_max", "churn_risk_min", "churn_risk_max", "segment")


class ContactIn(Schema):
    """A new contact. Lists (emails, phones, socials, tags, addresses) hold the whole set; the
    first email/phone/social is the primary one unless another is flagged `is_primary`."""

    full_name: str = ""
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    company_id: int | None = None
    lifecycle_stage: str = Field("lead", description="subscriber, lead, customer or churned")
    source_channel: str = Field("api", description="where the contact came from")
    owner_id: int | None = Field(None, description="defaults to the caller")
    emails: list[PointIn] = []
    phones: list[PointIn] = []
    socials: list[PointIn] = []
    tags: list[str] = Field([], description="tag names")
    custom: CustomValues = {}
    addresses: list[AddressIn] = []


class ContactPatch(Schema):
    """Only the fields sent change; a list sent replaces the whole set. `version` is the one you
    read: if someone saved the contact since, the edit is refused with 409."""

    version: int
    full_name: str = NOT_SENT
    first_name: str = NOT_SENT
    last_name: str = NOT_SENT
    title: str = NOT_SENT
    company_id: int | None = NOT_SENT
    lifecycle_stage: str = NOT_SENT
    source_channel: str = NOT_SENT
    owner_id: int = NOT_SENT
    emails: list[PointIn] = NOT_SENT
    phones: list[PointIn] = NOT_SENT
    socials: list[PointIn] = NOT_SENT
    tags: list[str] = NOT_SENT
    custom: CustomValues = NOT_SENT
    addresses: list[AddressIn] = NOT_SENT


@router.get("/contacts", response={200: ContactPage, **ERRORS}, tags=["contacts"])
def contacts_list(request: ApiRequest, params: Query[ContactListParams]) -> Any:
    """Contacts the caller may see, one page at a time.

    Filter custom fields with `cf_<key>=value` (e.g. `?cf_tier=gold`). Follow `next_cursor`
    (or `prev_cursor`) with `?cursor=`; keep the other parameters the same.
    """
    filters = selectors.ContactFilters(
        q=params.q,
        owner_id=params.owner_id,
        team_id=params.team_id,
        tag=params.tag,
        stage=params.stage,
        company_id=params.company_id,
        custom=custom_filters(request),
        extra={
            name: str(value)
            for name in EXTRA_FILTERS
            if (value := getattr(params, name)) not in (None, "")
        },
    )
    page = selectors.contacts_list(
        user=request.auth,
        filters=filters,
        sort=params.sort,
        cursor=params.cursor,
        limit=params.limit,
    )
    return _page_json(page, contact_json)


@router.get("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS}, tags=["contacts"])
def contact_detail(request: ApiRequest, contact_id: int) -> Any:
    return selectors.contact_get(user=request.auth, contact_id=contact_id)


@router.post("/contacts", response={201: ContactOut, **ERRORS}, tags=["contacts"])
def contact_create(request: ApiRequest, payload: ContactIn) -> Any:
    # Defaults not sent are the service's, except the source: a contact made here came via API.
    fields = payload.model_dump(exclude_unset=True)
    fields.setdefault("source_channel", Contact.Channel.API)
    contact = services.contact_create(by=request.auth, **fields)
    # Written records are answered as a read shows them (related rows loaded the same way).
    return Status(201, selectors.contact_get(user=request.auth, contact_id=contact.pk))


@router.patch(
    "/contacts/{int:contact_id}",
    response={200: ContactOut, 409: ErrorOut, **ERRORS},
    tags=["contacts"],
)
def contact_update(request: ApiRequest, contact_id: int, payload: ContactPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.contact_update(by=request.auth, contact_id=contact_id, version=version, **changes)
    return selectors.contact_get(user=request.auth, contact_id=contact_id)


@router.delete("/contacts/{int:contact_id}", response={204: None, **ERRORS}, tags=["contacts"])
def contact_delete(request: ApiRequest, contact_id: int) -> Any:
    services.contact_delete(by=request.auth, contact_id=contact_id)
    return Status(204, None)


class BulkTagIn(Schema):
    contact_ids: list[int] = Field(..., min_length=1, max_length=MAX_BULK)
    add: list[str] = Field([], description="tag names to add")
    remove: list[str] = Field([], description="tag names to remove")


class BulkAssignIn(Schema):
    contact_ids: list[int] = Field(..., min_length=1, max_length=MAX_BULK)
    owner_id: int


@router.post("/contacts/bulk-tag", response={200: CountOut, **ERRORS}, tags=["contacts"])
def contacts_bulk_tag(request: ApiRequest, payload: BulkTagIn) -> Any:
    """Add and remove tags on many contacts at once."""
    updated = services.contacts_bulk_tag(
        by=request.auth, contact_ids=payload.contact_ids, add=payload.add, remove=payload.remove
    )
    return {"updated": updated}


@router.post("/contacts/bulk-assign", response={200: CountOut, **ERRORS}, tags=["contacts"])
def contacts_bulk_assign(request: ApiRequest, payload: BulkAssignIn) -> Any:
    """Give many contacts a new owner."""
    updated = services.contacts_bulk_assign(
        by=request.auth, contact_ids=payload.contact_ids, owner_id=payload.owner_id
    )
    return {"updated": updated}


# --- companies ---------------------------------------------------------------------------------


class CompanyOut(OwnedOut):
    id: int
    name: str
    domain: str
    industry: str
    size: str
    parent: Ref | None

    @staticmethod
    def resolve_parent(company: Company) -> dict[str, Any] | None:
        return named_ref(company.parent)


class CompanyPage(Schema):
    items: list[CompanyOut]
    next_cursor: str | None
    prev_cursor: str | None


class CompanyListParams(ListParams):
    industry: str = ""
    sort: Literal[tuple(selectors.COMPANY_SORTS)] | None = Field(  # type: ignore[valid-type]
        None, description="default: name, or -created (newest first) when searching"
    )


class CompanyIn(Schema):
    name: str
    domain: str = ""
    industry: str = ""
    size: str = Field("", description="1-9, 10-49, 50-249, 250-999, 1000+ or empty")
    parent_id: int | None = None
    owner_id: int | None = Field(None, description="defaults to the caller")
    tags: list[str] = Field([], description="tag names")
    custom: CustomValues = {}


class CompanyPatch(Schema):
    """Only the fields sent change. `version` is the one you read (409 if it is stale)."""

    version: int
    name: str = NOT_SENT
    domain: str = NOT_SENT
    industry: str = NOT_SENT
    size: str = NOT_SENT
    parent_id: int | None = NOT_SENT
    owner_id: int = NOT_SENT
    tags: list[str] = NOT_SENT
    custom: CustomValues = NOT_SENT


@router.get("/companies", response={200: CompanyPage, **ERRORS}, tags=["companies"])
def companies_list(request: ApiRequest, params: Query[CompanyListParams]) -> Any:
    """Companies the caller may see, one page at a time (`cf_<key>=value` filters custom fields)."""
    filters = selectors.CompanyFilters(
        q=params.q,
        owner_id=params.owner_id,
        team_id=params.team_id,
        tag=params.tag,
        industry=params.industry,
        custom=custom_filters(request),
    )
    page = selectors.companies_list(
        user=request.auth,
        filters=filters,
        sort=params.sort,
        cursor=params.cursor,
        limit=params.limit,
    )
    return _page_json(page, company_json)


@router.get("/companies/{int:company_id}", response={200: CompanyOut, **ERRORS}, tags=["companies"])
def company_detail(request: ApiRequest, company_id: int) -> Any:
    return selectors.company_get(user=request.auth, company_id=company_id)


@router.post("/companies", response={201: CompanyOut, **ERRORS}, tags=["companies"])
def company_create(request: ApiRequest, payload: CompanyIn) -> Any:
    company = services.company_create(by=request.auth, **payload.model_dump(exclude_unset=True))
    return Status(201, selectors.company_get(user=request.auth, company_id=company.pk))


@router.patch(
    "/companies/{int:company_id}",
    response={200: CompanyOut, 409: ErrorOut, **ERRORS},
    tags=["companies"],
)
def company_update(request: ApiRequest, company_id: int, payload: CompanyPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.company_update(by=request.auth, company_id=company_id, version=version, **changes)
    return selectors.company_get(user=request.auth, company_id=company_id)


@router.delete("/companies/{int:company_id}", response={204: None, **ERRORS}, tags=["companies"])
def company_delete(request: ApiRequest, company_id: int) -> Any:
    services.company_delete(by=request.auth, company_id=company_id)
    return Status(204, None)


# --- list pages as JSON ------------------------------------------------------------------------
# A list page is written straight to JSON in the shape of ContactOut/CompanyOut (the schemas
# document it, and tests/api checks that a list row equals the detail answer): validating 50
# nested rows through the schemas took longer than the database did.


def _owned_json(record: Any) -> dict[str, Any]:
    return {
        "tags": [tag.name for tag in record.tag_list],
        "custom": record.custom or {},
        "owner": user_ref(record.owner),
        "team": named_ref(record.team),
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def _point_json(point: Any) -> dict[str, Any]:
    return {"value": point.value, "label": point.label, "is_primary": point.is_primary}


def contact_json(contact: Contact) -> dict[str, Any]:
    """A contact from the selectors as ContactOut renders it."""
    return {
        **_owned_json(contact),
        "id": contact.pk,
        "full_name": contact.full_name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "emails": [_point_json(p) for p in _points(contact, "email")],
        "phones": [_point_json(p) for p in _points(contact, "phone")],
        "socials": [_point_json(p) for p in _points(contact, "social")],
        "addresses": [
            {
                "kind": a.kind,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "region": a.region,
                "postal_code": a.postal_code,
                "country": a.country,
            }
            for a in contact.address_list
        ],
        "company": named_ref(contact.company),
        "lifecycle_stage": contact.lifecycle_stage,
        "source_channel": contact.source_channel,
    }


def company_json(company: Company) -> dict[str, Any]:
    """A company from the selectors as CompanyOut renders it."""
    return {
        **_owned_json(company),
        "id": company.pk,
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "size": company.size,
        "parent": named_ref(company.parent),
    }


def _page_json(page: selectors.Page, row: Callable[[Any], dict[str, Any]]) -> JsonResponse:
    return JsonResponse(
        {
            "items": [row(item) for item in page.items],
            "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor,
        },
        json_dumps_params={"ensure_ascii": False},
    )


# --- search ------------------------------------------------------------------------------------


class ContactHit(Schema):
    id: int
    full_name: str
    title: str
    primary_email: str
    primary_phone: str
    lifecycle_stage: str
    company: Ref | None

    @staticmethod
    def resolve_company(contact: Contact) -> dict[str, Any] | None:
        return named_ref(contact.company)


class CompanyHit(Schema):
    id: int
    name: str
    domain: str
    industry: str


class SearchOut(Schema):
    contacts: list[ContactHit]
    companies: list[CompanyHit]


@router.get("/search", response={200: SearchOut, **ERRORS}, tags=["search"])
def customers_search(request: ApiRequest, q: str, limit: int = Query(10, ge=1, le=50)) -> Any:
    """Contacts and companies matching `q` (name, email, phone, domain), best matches first."""
    return selectors.customers_search(user=request.auth, query=q, limit=limit)
