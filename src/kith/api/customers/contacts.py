"""Contacts: list, detail, create, update, delete, and the bulk tag/assign actions."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.customers.records import (
    MAX_BULK,
    NOT_SENT,
    AddressIn,
    AddressOut,
    CustomValues,
    ListParams,
    OwnedOut,
    PointIn,
    PointOut,
    list_answer,
    owned_filters,
    owned_json,
    patch_changes,
)
from kith.api.schemas import ERRORS, CountOut, ErrorOut, Ref, linked_ref
from kith.customers import selectors, services
from kith.customers.models import Contact

router = Router()


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
    def resolve_company(contact: Contact, context: Any) -> dict[str, Any] | None:
        return linked_ref(contact.company, context, module="companies")


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
        **owned_filters(request, params),
        stage=params.stage,
        company_id=params.company_id,
        extra={
            name: str(value)
            for name in EXTRA_FILTERS
            if (value := getattr(params, name)) not in (None, "")
        },
    )
    return list_answer(
        request, params, filters=filters, select=selectors.contacts_list, row=contact_json
    )


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
    version, changes = patch_changes(payload)
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


def _point_json(point: Any) -> dict[str, Any]:
    return {"value": point.value, "label": point.label, "is_primary": point.is_primary}


def contact_json(contact: Contact, context: Any = None) -> dict[str, Any]:
    """A contact from the selectors as ContactOut renders it."""
    return {
        **owned_json(contact),
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
        "company": linked_ref(contact.company, context, module="companies"),
        "lifecycle_stage": contact.lifecycle_stage,
        "source_channel": contact.source_channel,
    }
