"""Marketing's part of a contact's personal data: what campaigns sent them and what they did,
their segment memberships and preferences. Erasing keeps campaign counts (the recipient rows
lose their address) and keeps suppressions (an address that bounced or complained must stay
unmailed; a suppression names no contact)."""

from __future__ import annotations

from typing import Any

from kith.marketing.models import (
    AudienceExportMember,
    CampaignRecipient,
    ContactPreference,
    SegmentMember,
)


def _at(value: Any) -> str | None:
    return value.isoformat() if value else None


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
    }


def erase(contact_id: int) -> dict[str, int]:
    """Drop memberships and preferences; blank the address on campaign recipient rows."""
    return {
        "segment_members": SegmentMember.objects.filter(contact_id=contact_id).delete()[0],
        "audience_members": AudienceExportMember.objects.filter(contact_id=contact_id).delete()[0],
        "preferences": ContactPreference.objects.filter(contact_id=contact_id).delete()[0],
        "campaign_recipients": CampaignRecipient.objects.filter(contact_id=contact_id).update(
            email=""
        ),
    }
