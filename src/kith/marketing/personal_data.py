"""Marketing's part of a contact's personal data: what campaigns sent them and what they did,
their segment memberships and preferences, and the suppressions of their addresses. Erasing
keeps campaign counts and the open/click times (the recipient rows lose their address) and keeps
the suppressions' reasons and dates with a one-way hash in place of the address (readable by no
one; the column stays unique, so two erased people's suppressions do not clash)."""

from __future__ import annotations

import hashlib
from typing import Any

from kith.customers.models import ContactPoint
from kith.marketing.models import (
    AudienceExportMember,
    CampaignRecipient,
    ContactPreference,
    SegmentMember,
    Suppression,
)


def _at(value: Any) -> str | None:
    return value.isoformat() if value else None


def _suppressions(contact_id: int) -> Any:
    emails = ContactPoint.objects.filter(contact_id=contact_id, kind="email").values_list(
        "value", flat=True
    )
    return Suppression.objects.filter(email__in=[e.lower() for e in emails])


def export(contact_id: int) -> dict[str, Any]:
    """The contact's campaign messages, segments and preferences, JSON-serialisable."""
    recipients = CampaignRecipient.objects.filter(contact_id=contact_id).select_related("campaign")
    preference = ContactPreference.objects.filter(contact_id=contact_id).first()
    return {
        "campaign_messages": [
            {
                "campaign": r.campaign.name,
                "address": r.email,
                "state": r.state,
                "holdout": r.is_holdout,
                "sent_at": _at(r.sent_at),
                "opened_at": _at(r.opened_at),
                "clicked_at": _at(r.clicked_at),
                "unsubscribed_at": _at(r.unsubscribed_at),
            }
            for r in recipients.order_by("id")
        ],
        "segments": sorted(
            SegmentMember.objects.filter(contact_id=contact_id).values_list(
                "segment__name", flat=True
            )
        ),
        "language": preference.language if preference else "",
        "suppressions": [
            {"address": s.email, "reason": s.reason, "detail": s.detail, "at": _at(s.at)}
            for s in _suppressions(contact_id).order_by("at", "pk")
        ],
    }


def erase(contact_id: int) -> dict[str, int]:
    """Drop memberships and preferences; blank the address on campaign recipient rows; hash the
    address of their suppressions."""
    suppressions = 0
    for suppression in _suppressions(contact_id):
        digest = hashlib.sha256(suppression.email.encode()).hexdigest()
        Suppression.objects.filter(pk=suppression.pk).update(email=f"sha256:{digest}", detail="")
        suppressions += 1
    return {
        "suppressions": suppressions,
        "segment_members": SegmentMember.objects.filter(contact_id=contact_id).delete()[0],
        "audience_members": AudienceExportMember.objects.filter(contact_id=contact_id).delete()[0],
        "preferences": ContactPreference.objects.filter(contact_id=contact_id).delete()[0],
        "campaign_recipients": CampaignRecipient.objects.filter(contact_id=contact_id).update(
            email=""
        ),
    }
