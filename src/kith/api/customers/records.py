"""What the contact and company endpoints share: point, address and owner fields, the list
parameters and filters, PATCH handling, and list pages written straight to JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import JsonResponse
from ninja import Field, Schema

from kith.api.auth import ApiRequest
from kith.api.schemas import Ref, named_ref, user_ref
from kith.customers import selectors

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


def owned_filters(request: ApiRequest, params: ListParams) -> dict[str, Any]:
    """The filters every customer list has (search, owner, team, tag, custom fields)."""
    return {
        "q": params.q,
        "owner_id": params.owner_id,
        "team_id": params.team_id,
        "tag": params.tag,
        "custom": custom_filters(request),
    }


def list_answer(
    request: ApiRequest,
    params: Any,
    *,
    filters: Any,
    select: Callable[..., selectors.Page],
    row: Callable[[Any, Any], dict[str, Any]],
) -> JsonResponse:
    """One page of `select` (a list selector) for the caller, as JSON rows."""
    page = select(
        user=request.auth,
        filters=filters,
        sort=params.sort,
        cursor=params.cursor,
        limit=params.limit,
    )
    return JsonResponse(
        {
            "items": [row(item, {"request": request}) for item in page.items],
            "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor,
        },
        json_dumps_params={"ensure_ascii": False},
    )


def patch_changes(payload: Schema) -> tuple[int, dict[str, Any]]:
    """The version a PATCH was made from, and the fields it sent."""
    changes = payload.model_dump(exclude_unset=True)
    return changes.pop("version"), changes


# --- list pages as JSON ------------------------------------------------------------------------
# A list page is written straight to JSON in the shape of ContactOut/CompanyOut (the schemas
# document it, and tests/api checks that a list row equals the detail answer): validating 50
# nested rows through the schemas took longer than the database did.


def owned_json(record: Any) -> dict[str, Any]:
    """The OwnedOut fields of a record from the selectors."""
    return {
        "tags": [tag.name for tag in record.tag_list],
        "custom": record.custom or {},
        "owner": user_ref(record.owner),
        "team": named_ref(record.team),
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
