"""The insights app's part of a contact's personal data: their scores (kith.core.apps)."""

from __future__ import annotations

from typing import Any

from kith.core.personal_data import rows_json
from kith.insights.models import CustomerScore


def export(contact_id: int) -> dict[str, Any]:
    return {"scores": rows_json(CustomerScore.objects.filter(contact_id=contact_id))}


def erase(contact_id: int) -> dict[str, int]:
    """Delete their scores (a profile of the person; a later run scores only the anonymous
    record, from its orders)."""
    return {"scores": CustomerScore.objects.filter(contact_id=contact_id).delete()[0]}
