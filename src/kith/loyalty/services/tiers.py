"""Tier upgrades in bulk, for the nightly evaluation (tiers_evaluate) and the demo's first one:
what tier_move stores member by member (the tier, since when, the history row and the
loyalty.tier_changed event), in a few statements per chunk of members."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction

from kith.core.events import events_record_each
from kith.core.models import ChangeRecord
from kith.loyalty.models import Membership, Tier


def tiers_raise(
    *,
    programme_id: int,
    tiers: list[Tier],
    targets: dict[int, Tier],
    now: datetime,
    chunk: int = 2000,
) -> int:
    """Move each membership in `targets` (membership id -> tier it qualifies for) up to that
    tier when it is higher than the one it holds once locked; returns how many moved."""
    rank = {tier.pk: tier.position for tier in tiers}
    by_id = {tier.pk: tier for tier in tiers}
    ids = sorted(targets)
    moved = 0
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            held = (
                Membership.objects.select_for_update(of=("self",))
                .filter(pk__in=ids[start : start + chunk], programme_id=programme_id)
                .order_by("pk")
                .values_list("pk", "tier_id", "contact_id")
            )
            ups: dict[int, list[int]] = defaultdict(list)
            history, events = [], []
            for pk, tier_id, contact_id in held:
                target = targets[pk]
                if rank[target.pk] <= rank.get(tier_id, -1):
                    continue  # changed since it was read: up to date already
                ups[target.pk].append(pk)
                before = str(by_id[tier_id]) if tier_id in by_id else ""
                if before != str(target):
                    history.append(
                        ChangeRecord(
                            model="loyalty.membership", object_id=pk, action="update",
                            field="tier", old_value=before, new_value=str(target),
                        )
                    )  # fmt: skip
                events.append(
                    (pk, {"programme_id": programme_id, "contact_id": contact_id,
                          "from_tier_id": tier_id, "to_tier_id": target.pk})
                )  # fmt: skip
            for tier_pk, member_ids in ups.items():
                Membership.objects.filter(pk__in=member_ids).update(
                    tier_id=tier_pk, tier_since=now, below_tier_since=None
                )
            ChangeRecord.objects.bulk_create(history, batch_size=1000)
            events_record_each(name="loyalty.tier_changed", model=Membership, items=events)
            moved += len(events)
    return moved
