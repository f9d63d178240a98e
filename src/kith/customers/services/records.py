"""Steps every customer record (contact or company) shares: owner, custom values, tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F
from django.utils import timezone

from kith.core.custom_fields import custom_values_clean
from kith.core.errors import FieldError
from kith.customers.models import Company, Contact
from kith.identity.access import owner_resolve
from kith.identity.models import User

CustomerRecord = Contact | Company


def owner_apply(
    *,
    by: User,
    record: CustomerRecord,
    changes: Mapping[str, Any],
    creating: bool,
    module: str,
    errors: dict[str, str],
) -> None:
    """Set the record's owner (and the owner's team) when named, or `by` on creation."""
    if "owner_id" not in changes and not creating:
        return
    owner = owner_resolve(by=by, owner_id=changes.get("owner_id"), module=module, errors=errors)
    record.owner = owner
    record.team_id = owner.team_id


def custom_apply(
    *,
    record: CustomerRecord,
    model: str,
    changes: Mapping[str, Any],
    creating: bool,
    errors: dict[str, str],
) -> None:
    """Set the record's custom values when named (or the defaults on creation)."""
    if "custom" not in changes and not creating:
        return
    try:
        record.custom = custom_values_clean(
            model=model, values=changes.get("custom") or {}, existing=record.custom
        )
    except FieldError as exc:
        errors.update(exc.errors)


def versions_bump(model: type[Contact] | type[Company], ids: list[int]) -> None:
    """A new version (and updated_at) for the records `ids`, in one query."""
    if ids:
        model.objects.filter(pk__in=ids).update(version=F("version") + 1, updated_at=timezone.now())
