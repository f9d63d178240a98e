"""A contact's loyalty data for the personal-data export and erasure doors."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kith.loyalty.models import Membership, PointsAllocation, PointsEntry, Redemption


def export(contact_id: int) -> dict[str, Any]:
    """The contact's memberships with their ledger and redemptions."""
    memberships = []
    for membership in Membership.objects.filter(contact_id=contact_id).select_related(
        "programme", "tier"
    ):
        entries = PointsEntry.objects.filter(membership=membership).order_by("at", "id")
        redemptions = Redemption.objects.filter(membership=membership).select_related("reward")
        memberships.append(
            {
                "programme": membership.programme.name,
                "tier": membership.tier.name if membership.tier else None,
                "joined_at": membership.joined_at.isoformat(),
                "balance": membership.balance,
                "referral_code": membership.referral_code,
                "language": membership.language,
                "entries": [
                    {
                        "at": e.at.isoformat(),
                        "source": e.source,
                        "points": e.points,
                        "reason": e.reason,
                        "order_id": e.order_id,
                        "expires_at": e.expires_at.isoformat() if e.expires_at else None,
                    }
                    for e in entries
                ],
                "redemptions": [
                    {
                        "reward": r.reward.name,
                        "points": r.points,
                        "code": r.code,
                        "status": r.status,
                        "created_at": r.created_at.isoformat(),
                        "expires_at": r.expires_at.isoformat(),
                    }
                    for r in redemptions
                ],
            }
        )
    return {"memberships": memberships}


@transaction.atomic
def erase(contact_id: int) -> dict[str, int]:
    """Delete the contact's memberships, ledgers and redemptions (the members they referred
    keep their membership, without the link)."""
    members = Membership.objects.filter(contact_id=contact_id)
    ids = list(members.values_list("pk", flat=True))
    Membership.objects.filter(referred_by_id__in=ids).update(referred_by=None)
    redemptions = Redemption.objects.filter(membership_id__in=ids)
    counts = {"loyalty.redemption": redemptions.count()}
    redemptions.delete()
    PointsAllocation.objects.filter(debit__membership_id__in=ids).delete()
    entries = PointsEntry.objects.filter(membership_id__in=ids)
    PointsEntry.objects.filter(membership_id__in=ids, reverses__isnull=False).update(reverses=None)
    counts["loyalty.points_entry"] = entries.count()
    entries.delete()
    counts["loyalty.membership"] = len(ids)
    members.delete()
    return counts
