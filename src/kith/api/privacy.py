"""API v1: a contact's personal data (the export of everything Kith holds about them) and its
erasure. Administrators only; both are in the security audit trail."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS
from kith.intake.privacy import personal_data_erase, personal_data_export

router = Router(tags=["privacy"])


@router.get(
    "/contacts/{int:contact_id}/personal-data",
    response={200: bytes, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
            }
        }
    },
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
