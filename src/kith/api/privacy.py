"""API v1: a contact's (or a lead's) personal data (the export of everything Kith holds about
them) and its erasure, and the privacy request log. Administrators only; exports and erasures
are in the security audit trail and close their request in the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, Ref, user_ref
from kith.core.pagination import Ordering, paginate
from kith.intake.models import PrivacyRequest
from kith.intake.privacy import (
    lead_personal_data_erase,
    lead_personal_data_export,
    personal_data_erase,
    personal_data_export,
)
from kith.intake.privacy_requests import (
    privacy_request_done,
    privacy_request_is_overdue,
    privacy_request_log,
    privacy_requests_for,
)

MAX_PAGE_SIZE = 200
_ZIP = {
    "responses": {
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
    }
}

router = Router(tags=["privacy"])


@router.get(
    "/contacts/{int:contact_id}/personal-data",
    response={200: bytes, **ERRORS},
    openapi_extra=_ZIP,
)
def personal_data(request: ApiRequest, contact_id: int) -> Any:
    """A ZIP with one JSON file per app of everything Kith holds about the contact."""
    body = personal_data_export(by=request.auth, contact_id=contact_id)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact_id}.zip"'
    return response


class ErasureOut(Schema):
    counts: dict[str, int]


@router.post("/contacts/{int:contact_id}/erasure", response={200: ErasureOut, **ERRORS})
def erasure(request: ApiRequest, contact_id: int) -> Any:
    """Erase the contact's personal data in every app (names, emails, phones, texts, history
    values, files); orders and tickets stay as anonymous figures. Cannot be undone."""
    return {"counts": personal_data_erase(by=request.auth, contact_id=contact_id)}


@router.get(
    "/leads/{int:lead_id}/personal-data", response={200: bytes, **ERRORS}, openapi_extra=_ZIP
)
def lead_personal_data(request: ApiRequest, lead_id: int) -> Any:
    """A ZIP of everything Kith holds about a lead that never became a contact (409 when it
    did: ask for the contact)."""
    body = lead_personal_data_export(by=request.auth, lead_id=lead_id)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="lead-{lead_id}.zip"'
    return response


@router.post("/leads/{int:lead_id}/erasure", response={200: ErasureOut, **ERRORS})
def lead_erasure(request: ApiRequest, lead_id: int) -> Any:
    """Erase a lead that never became a contact (409 when it did). Cannot be undone."""
    return {"counts": lead_personal_data_erase(by=request.auth, lead_id=lead_id)}


class PrivacyRequestOut(Schema):
    id: int
    kind: str
    subject: str
    subject_id: int
    received_at: datetime
    due_at: datetime
    done_at: datetime | None
    received_by: Ref | None
    done_by: Ref | None
    channel: str
    overdue: bool

    @staticmethod
    def resolve_received_by(request: PrivacyRequest) -> dict[str, Any] | None:
        return user_ref(request.received_by) if request.received_by else None

    @staticmethod
    def resolve_done_by(request: PrivacyRequest) -> dict[str, Any] | None:
        return user_ref(request.done_by) if request.done_by else None

    @staticmethod
    def resolve_overdue(request: PrivacyRequest) -> bool:
        return privacy_request_is_overdue(request)


class PrivacyRequestPage(Schema):
    items: list[PrivacyRequestOut]
    next_cursor: str | None
    prev_cursor: str | None


class PrivacyRequestParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    state: Literal["", "open", "overdue", "done"] = ""


class PrivacyRequestIn(Schema):
    kind: Literal["export", "erasure"]
    subject: Literal["customers.contact", "sales.lead"]
    subject_id: int = Field(..., ge=1, le=2**63 - 1)
    received_at: datetime | None = Field(None, description="when it came in (default: now)")
    channel: str = Field("", max_length=80, description="how it came in (email, letter, …)")


@router.get("/privacy/requests", response={200: PrivacyRequestPage, **ERRORS})
def privacy_requests(request: ApiRequest, params: Query[PrivacyRequestParams]) -> Any:
    """The privacy request log, newest first; `overdue` marks an open request past its due
    date (KITH_PRIVACY_REQUEST_DAYS after it was received)."""
    page = paginate(
        privacy_requests_for(user=request.auth, state=params.state),
        ordering=Ordering("received_at", descending=True),
        cursor=params.cursor,
        limit=params.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.post("/privacy/requests", response={201: PrivacyRequestOut, **ERRORS})
def privacy_request_create(request: ApiRequest, body: PrivacyRequestIn) -> Any:
    """Log a request received from a person; it is due KITH_PRIVACY_REQUEST_DAYS later."""
    return Status(201, privacy_request_log(by=request.auth, **body.dict()))


@router.post("/privacy/requests/{int:request_id}/done", response={200: PrivacyRequestOut, **ERRORS})
def privacy_request_close(request: ApiRequest, request_id: int) -> Any:
    """Mark a request done (an export or erasure through Kith does this by itself)."""
    return privacy_request_done(by=request.auth, request_id=request_id)
