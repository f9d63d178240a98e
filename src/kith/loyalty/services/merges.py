"""Two contacts with memberships merged: one membership per programme, one ledger.

intake's merge moves every row pointing at the removed contact to the kept one; a second
membership of the same programme can move too because the unique key includes the contact
that enrolled (Membership.enrolled_contact_id). On `contacts.merged` the kept contact's
memberships of one programme are folded into one: the entries (lots, allocations, reversals)
and redemptions move to the kept membership with their dates and expiry, the cached balance
is the sum of both, the higher tier stays (with its date and a tier-upgrade hold, the later of
the two), the earlier joining date, a referrer if the kept one had none, and the members either
one referred now point at the kept one. The emptied membership is deleted. Idempotent: a
second delivery finds one membership per programme and does nothing.

Undoing the contact merge afterwards brings the removed contact back without a membership:
the points stay with the kept contact (the ledger cannot be split back by guesswork).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kith.core.audit import changes_record
from kith.core.events import event_record
from kith.core.models import DomainEvent
from kith.loyalty.models import Membership, PointsEntry, Redemption
from kith.loyalty.services.ledger import membership_lock
from kith.loyalty.services.members import membership_tier_refresh


def _keeper(members: list[Membership], contact_id: int) -> Membership:
    """The membership that stays: the kept contact's own enrolment, else the earliest."""
    own = [m for m in members if m.enrolled_contact_id == contact_id]
    return min(own or members, key=lambda m: (m.joined_at, m.pk))


def _rank(membership: Membership) -> int:
    return membership.tier.position if membership.tier is not None else -1


def memberships_fold(*, contact_id: int) -> int:
    """Fold the contact's memberships of each programme into one (see the module docstring);
    returns how many memberships were folded away."""
    folded = 0
    ids = Membership.objects.filter(contact_id=contact_id).values_list("pk", "programme_id")
    per_programme: dict[int, list[int]] = defaultdict(list)
    for pk, programme_id in ids:
        per_programme[programme_id].append(pk)
    for pks in per_programme.values():
        if len(pks) < 2:
            continue
        with transaction.atomic():
            members = [membership_lock(pk) for pk in sorted(pks)]  # id order: no deadlock
            keeper = _keeper(members, contact_id)
            for other in members:
                if other.pk != keeper.pk:
                    _fold(keeper, other)
                    folded += 1
            membership_tier_refresh(keeper, now=timezone.now(), nightly=False)
    return folded


def _fold(keeper: Membership, other: Membership) -> None:
    before = {"balance": str(keeper.balance), "tier": str(keeper.tier or ""),
              "joined_at": keeper.joined_at.isoformat()}  # fmt: skip
    PointsEntry.objects.filter(membership=other).update(membership=keeper)
    Redemption.objects.filter(membership=other).update(membership=keeper)
    Membership.objects.filter(referred_by=other).exclude(pk=keeper.pk).update(referred_by=keeper)
    changes: dict[str, Any] = {"joined_at": min(keeper.joined_at, other.joined_at)}
    if _rank(other) > _rank(keeper):
        changes.update(tier=other.tier, tier_since=other.tier_since,
                       below_tier_since=other.below_tier_since)  # fmt: skip
    held = [t for t in (keeper.tier_held_until, other.tier_held_until) if t is not None]
    if held:
        changes["tier_held_until"] = max(held)
    if keeper.referred_by_id is None and other.referred_by_id not in (None, keeper.pk):
        changes["referred_by_id"] = other.referred_by_id
    if not keeper.language and other.language:
        changes["language"] = other.language
    # The emptied membership goes before the balance moves, so the sum of the entries and the
    # cached balance agree at every statement of this transaction.
    Membership.objects.filter(pk=other.pk).delete()
    Membership.objects.filter(pk=keeper.pk).update(
        balance=F("balance") + other.balance, version=F("version") + 1, **changes
    )
    for name, value in changes.items():
        setattr(keeper, name, value)
    keeper.balance += other.balance
    keeper.version += 1
    after = {"balance": str(keeper.balance), "tier": str(keeper.tier or ""),
             "joined_at": keeper.joined_at.isoformat()}  # fmt: skip
    changes_record(instance=keeper, actor=None, before=before, after=after)
    event_record(
        name="loyalty.members_merged", record=keeper, actor=None,
        payload={"programme_id": keeper.programme_id, "contact_id": keeper.contact_id,
                 "removed_membership_id": other.pk},
    )  # fmt: skip


def on_contacts_merged(event: DomainEvent) -> None:
    payload: dict[str, Any] = event.payload or {}
    kept = payload.get("kept") or event.object_id
    if kept:
        memberships_fold(contact_id=int(kept))
