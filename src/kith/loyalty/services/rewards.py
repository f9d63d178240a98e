"""Redeeming rewards: one-time codes that expire, their use, and the reversal of a redemption."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.identity.access import require
from kith.identity.models import User
from kith.loyalty.models import Membership, PointsEntry, Redemption, Reward, Tier
from kith.loyalty.services.ledger import entry_append, membership_lock
from kith.loyalty.services.members import (
    code_make,
    membership_visible,
    qualifying_value,
    tier_for,
    tier_move,
)


def _voucher_code() -> str:
    while True:
        code = code_make(12)
        if not Redemption.objects.filter(code=code).exists():
            return code


def redemption_make(
    membership: Membership, *, reward_id: int, now: datetime, actor: User | None
) -> Redemption:
    """Spend a LOCKED membership's points on a reward (no permission check: reward_redeem and
    the member's own page make it). FieldError "points" when the balance is short."""
    reward = (
        Reward.objects.filter(pk=reward_id, programme_id=membership.programme_id, is_active=True)
        .select_related("tier")
        .first()
    )
    if reward is None:
        raise FieldError.one("reward_id", _("This reward does not exist."))
    upgrade = reward.kind == Reward.Kind.TIER_UPGRADE and reward.tier is not None
    if upgrade and membership.tier and reward.tier.position <= membership.tier.position:  # type: ignore[union-attr]
        raise FieldError.one("reward_id", _("The member is in this tier or a higher one."))
    code = _voucher_code()
    entry, _created = entry_append(
        membership, source=PointsEntry.Source.REDEMPTION, points=-reward.cost_points, at=now,
        key=f"redemption:{code}", reason=reward.name, actor=actor,
    )  # fmt: skip
    redemption = Redemption.objects.create(
        membership=membership, reward=reward, entry=entry, points=reward.cost_points, code=code,
        created_at=now, expires_at=now + timedelta(days=reward.valid_days),
    )  # fmt: skip
    if reward.kind == Reward.Kind.TIER_UPGRADE and reward.tier is not None:
        tier_move(membership, reward.tier, now)
        membership.tier_held_until = redemption.expires_at
        Membership.objects.filter(pk=membership.pk).update(tier_held_until=redemption.expires_at)
    event_record(
        name="loyalty.reward_redeemed", record=redemption, actor=actor,
        payload={"membership_id": membership.pk, "reward_id": reward.pk, "points": reward.cost_points},
    )  # fmt: skip
    return redemption


@transaction.atomic
def reward_redeem(*, by: User, membership_id: int, reward_id: int) -> Redemption:
    """Redeem a reward for a visible member. Two redemptions of the last points: the second
    waits for the first's lock and then gets a FieldError on "points"."""
    require(by, "loyalty", "create")
    membership_visible(by=by, membership_id=membership_id, right="create")
    membership = membership_lock(membership_id)
    return redemption_make(membership, reward_id=reward_id, now=timezone.now(), actor=by)


@transaction.atomic
def redemption_reverse(*, by: User, redemption_id: int, reason: str = "") -> Redemption:
    """Give a redemption's points back (a new lot expiring when the latest lot it took from
    does); refused once the code was used. A tier upgrade it bought is re-evaluated."""
    redemption = Redemption.objects.filter(pk=redemption_id).first()
    if redemption is None:
        raise FieldError.one("redemption_id", _("This redemption does not exist."))
    membership_visible(by=by, membership_id=redemption.membership_id, right="edit")
    membership = membership_lock(redemption.membership_id)
    redemption = (
        Redemption.objects.select_for_update().select_related("reward").get(pk=redemption_id)
    )
    if redemption.status == Redemption.Status.USED:
        raise FieldError.one("status", _("This code was used: the redemption cannot be reversed."))
    if redemption.status == Redemption.Status.REVERSED:
        raise FieldError.one("status", _("This redemption was reversed already."))
    now = timezone.now()
    expires = PointsEntry.objects.filter(taken__debit=redemption.entry_id).aggregate(
        last=Max("expires_at")
    )["last"]
    entry_append(
        membership, source=PointsEntry.Source.REVERSAL, points=redemption.points, at=now,
        key=f"redemption:{redemption.code}:reversal", reverses=redemption.entry,
        reason=reason or redemption.reward.name, expires_at=expires, actor=by,
    )  # fmt: skip
    redemption.status, redemption.reversed_at = Redemption.Status.REVERSED, now
    redemption.version += 1
    redemption.save(update_fields=["status", "reversed_at", "version"])
    if redemption.reward.kind == Reward.Kind.TIER_UPGRADE:
        # The bought tier goes with the redemption: back to the tier the member qualifies for.
        membership.tier_held_until = None
        Membership.objects.filter(pk=membership.pk).update(tier_held_until=None)
        tiers = list(Tier.objects.filter(programme_id=membership.programme_id).order_by("position"))
        target = tier_for(tiers, qualifying_value(membership, now))
        if target != membership.tier:
            tier_move(membership, target, now)
    return redemption


@transaction.atomic
def voucher_use(*, by: User, code: str, now: datetime | None = None) -> Redemption:
    """Mark a redemption's one-time code used (at the till or the web shop): refused when it
    was used or reversed, or has expired."""
    require(by, "loyalty", "edit")
    now = now or timezone.now()
    code = str(code or "").strip().upper()
    redemption = Redemption.objects.select_for_update().filter(code=code).first()
    if redemption is None:
        raise FieldError.one("code", _("This code does not exist."))
    membership_visible(by=by, membership_id=redemption.membership_id, right="edit")
    if redemption.status == Redemption.Status.USED:
        raise FieldError.one("code", _("This code was used already."))
    if redemption.status == Redemption.Status.REVERSED:
        raise FieldError.one("code", _("This code was cancelled."))
    if redemption.expires_at <= now:
        raise FieldError.one("code", _("This code has expired."))
    redemption.status, redemption.used_at = Redemption.Status.USED, now
    redemption.version += 1
    redemption.save(update_fields=["status", "used_at", "version"])
    return redemption
