"""The change history of sales records."""

from __future__ import annotations

from kith.core.models import ChangeRecord


def record_history(*, model: str, object_id: int, limit: int = 100) -> list[ChangeRecord]:
    """A sales record's change history, newest first (the caller has checked visibility)."""
    return list(
        ChangeRecord.objects.filter(model=model, object_id=object_id)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
