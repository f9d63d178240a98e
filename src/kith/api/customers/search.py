"""Search across contacts and companies (the quick-find box)."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, Ref, linked_ref
from kith.customers import selectors
from kith.customers.models import Contact

router = Router()


class ContactHit(Schema):
    id: int
    full_name: str
    title: str
    primary_email: str
    primary_phone: str
    lifecycle_stage: str
    company: Ref | None

    @staticmethod
    def resolve_company(contact: Contact, context: Any) -> dict[str, Any] | None:
        return linked_ref(contact.company, context, module="companies")


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
