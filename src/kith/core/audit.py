"""Change history: compare a record's field values before and after a write and store the diff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from kith.core.models import ChangeRecord


def changes_record(
    *,
    instance: models.Model,
    actor: Any,
    before: Mapping[str, str] | None,
    after: Mapping[str, str] | None,
) -> list[ChangeRecord]:
    """Store one ChangeRecord per changed field (or one for create/delete) in a single query."""
    label = instance._meta.label_lower
    actor_id = getattr(actor, "pk", None)
    rows: list[ChangeRecord] = []
    if before is None:
        rows.append(
            ChangeRecord(model=label, object_id=instance.pk, action="create", actor_id=actor_id)
        )
        before = {}
    if after is None:
        rows.append(
            ChangeRecord(model=label, object_id=instance.pk, action="delete", actor_id=actor_id)
        )
    else:
        for name, new in after.items():
            old = before.get(name, "")
            if old != new:
                rows.append(
                    ChangeRecord(
                        model=label,
                        object_id=instance.pk,
                        action="update",
                        field=name,
                        old_value=old,
                        new_value=new,
                        actor_id=actor_id,
                    )
                )
    ChangeRecord.objects.bulk_create(rows)
    return rows


def history_for(*, model: str, object_id: int, limit: int = 100) -> list[ChangeRecord]:
    """The change history of one record (`model` as "app.model"), newest first, actors loaded.

    The caller has checked that the user may see the record.
    """
    return list(
        ChangeRecord.objects.filter(model=model, object_id=object_id)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
