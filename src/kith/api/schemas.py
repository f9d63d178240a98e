"""Schemas shared by every router: references to other records and the error body."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from kith.identity.access import linked_name


class Ref(Schema):
    """A pointer to another record, with the name a client shows for it."""

    id: int
    name: str


class ErrorOut(Schema):
    """Every error body. `errors` maps a dotted field path ("emails.0") to its message."""

    detail: str
    errors: dict[str, str] | None = None


class CountOut(Schema):
    """How many records a bulk action changed."""

    updated: int


def user_ref(user: Any) -> dict[str, Any]:
    """A user as a Ref: the full name, or the username when no name is set."""
    return {"id": user.pk, "name": user.get_full_name() or user.username}


def linked_ref(record: Any, context: Any, *, module: str) -> dict[str, Any] | None:
    """A linked customer record (a contact's company, a deal's company) as a Ref whose name is
    shown only when the caller may see the record (kith.identity.access.linked_name)."""
    if record is None:
        return None
    request = (context or {}).get("request")
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    return {"id": record.pk, "name": linked_name(user, module, record)}


def named_ref(record: Any) -> dict[str, Any] | None:
    """A record with a `name` (team, company) as a Ref; None stays None."""
    return None if record is None else {"id": record.pk, "name": record.name}


# Every operation can answer these; listing them makes the OpenAPI schema honest.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,  # a body that is not JSON ("Cannot parse request body")
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
