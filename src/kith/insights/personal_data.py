"""The insights app's part of a person's personal data: a contact's scores, a lead's
conversion score (kith.core.apps)."""

from __future__ import annotations

from typing import Any

from kith.core.personal_data import rows_json
from kith.insights.lead_models import LeadScore
from kith.insights.models import CustomerScore


def export(contact_id: int) -> dict[str, Any]:
    return {"scores": rows_json(CustomerScore.objects.filter(contact_id=contact_id))}


def erase(contact_id: int) -> dict[str, int]:
    """Delete their scores (a profile of the person; a later run scores only the anonymous
    record, from its orders)."""
    return {"scores": CustomerScore.objects.filter(contact_id=contact_id).delete()[0]}


def lead_export(lead_id: int) -> dict[str, Any]:
    return {"lead_scores": rows_json(LeadScore.objects.filter(lead_id=lead_id))}


def lead_erase(lead_id: int) -> dict[str, int]:
    """Delete the lead's conversion score and the feature values it was computed from."""
    return {"lead_scores": LeadScore.objects.filter(lead_id=lead_id).delete()[0]}
