"""The intake app's part of a contact's personal data: imports that wrote or changed them,
merges that involved them, duplicate pairs (kith.core.apps)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from kith.core.personal_data import rows_json
from kith.intake.models import DuplicatePair, ImportUpdate, MergeRecord

_CONTACT = "customers.contact"


def _merges(contact_id: int) -> Any:
    return MergeRecord.objects.filter(model=_CONTACT).filter(
        Q(survivor_id=contact_id) | Q(merged_ids__contains=[contact_id])
    )


def export(contact_id: int) -> dict[str, Any]:
    try:
        merges = rows_json(_merges(contact_id))
    except Exception:
        merges = rows_json(
            m
            for m in MergeRecord.objects.filter(model=_CONTACT)
            if m.survivor_id == contact_id or contact_id in (m.merged_ids or [])
        )
    return {
        "import_updates": rows_json(
            ImportUpdate.objects.filter(model=_CONTACT, record_id=contact_id)
        ),
        "merges": merges,
    }


def erase(contact_id: int) -> dict[str, int]:
    """Delete their duplicate pairs and the before-values imports kept of them (an undo can no
    longer restore an erased person). Names, emails and phones inside import files, error files
    and merge records are erased by the search over every column that follows the handlers
    (kith.intake.privacy)."""
    return {
        "duplicate_pairs": DuplicatePair.objects.filter(
            Q(contact_a=contact_id) | Q(contact_b=contact_id)
        ).delete()[0],
        "import_updates": ImportUpdate.objects.filter(
            model=_CONTACT, record_id=contact_id
        ).delete()[0],
    }


def lead_export(lead_id: int) -> dict[str, Any]:
    """The before-values imports kept of a lead."""
    return {
        "import_updates": rows_json(
            ImportUpdate.objects.filter(model="sales.lead", record_id=lead_id)
        )
    }


def lead_erase(lead_id: int) -> dict[str, int]:
    """Delete the before-values imports kept of the lead."""
    return {
        "import_updates": ImportUpdate.objects.filter(
            model="sales.lead", record_id=lead_id
        ).delete()[0]
    }
