"""Records that interactions, tasks, comments and follows can be about.

Engagement links to records of any app by ("app.model", id). Which records exist, who may see
them and how they are named is known only to the app that owns them, so each app registers a
getter in its AppConfig.ready() (engagement registers contacts and companies; service tickets;
sales deals and leads):

    record_kind_register(model="service.ticket", get=ticket_ref)

`get(user=, record_id=)` returns a RecordRef or raises NotFound when the record does not exist
or the user may not see it. Every write or read of engagement data about a record goes through
`record_get`, so a record a user cannot see cannot be commented on, followed or logged against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kith.core.errors import FieldError


@dataclass(frozen=True)
class RecordRef:
    model: str  # "service.ticket"
    id: int
    label: str  # as shown: "[#12] Printer jam"
    url: str  # the record's page
    contact_id: int | None = None  # the customer it is about, when it has one the user may see
    company_id: int | None = None


RecordGet = Callable[..., RecordRef]
RECORD_KINDS: dict[str, RecordGet] = {}


def record_kind_register(*, model: str, get: RecordGet) -> None:
    """Say how records of `model` ("app.model") are found for a user."""
    RECORD_KINDS[model] = get


def record_get(*, user: Any, record_model: str, record_id: int) -> RecordRef:
    """The record as the user may see it; NotFound if invisible, FieldError if of no known kind."""
    get = RECORD_KINDS.get(record_model)
    if get is None:
        raise FieldError.one("record_model", _("Kith has no records of this kind."))
    return get(user=user, record_id=record_id)
