"""What the apps' personal-data handlers share (kith.core.apps.PersonalDataHandler): rows as
JSON for an export, the marker that replaces erased text, and erasing a record's history."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet

from kith.core.models import ChangeRecord

# What erased text becomes. Not translated: it is data, read in every language.
ERASED = "[erased]"


def jsonable(value: Any) -> Any:
    """`value` as JSON can hold it (datetimes as ISO text, bytes as base64)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def rows_json(
    queryset: QuerySet[Any] | Iterable[Model], *, exclude: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Every concrete column of every row, by attribute name (`company_id`), JSON-safe."""
    skip = set(exclude)
    rows = []
    for record in queryset:
        fields = record._meta.concrete_fields
        rows.append(
            {
                f.attname: jsonable(getattr(record, f.attname))
                for f in fields
                if f.attname not in skip
            }
        )
    return rows


def history_json(model: str, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The change history of the records `ids` of `model` ("customers.contact")."""
    return rows_json(
        ChangeRecord.objects.filter(model=model, object_id__in=list(ids)).order_by("at", "pk")
    )


def history_erase(model: str, ids: Iterable[int]) -> int:
    """Erase the old and new values of the history of these records (who changed what field
    when stays); returns the rows changed."""
    return (
        ChangeRecord.objects.filter(model=model, object_id__in=list(ids))
        .exclude(old_value="", new_value="")
        .update(old_value=ERASED, new_value=ERASED)
    )
