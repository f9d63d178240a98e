"""The loyalty demo: a programme with tiers, rules and rewards, and a history earned from the
demo's orders (backfill), referrals, redemptions, bonuses, expiry and tiers."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from kith.customers.models import Relationship
from kith.demo import demo_load
from kith.loyalty.models import Membership, PointsEntry, Programme, Redemption


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load(size="tiny")


def test_loyalty_demo(demo):
    programme = Programme.objects.get()
    assert programme.tiers.count() == 3 and programme.rewards.count() == 4
    members = Membership.objects.filter(programme=programme)
    assert demo.more["loyalty_members"] > 0 and members.count() >= demo.more["loyalty_members"]
    assert (
        PointsEntry.objects.filter(source="order").count() >= demo.more["loyalty_orders_earned"] > 0
    )
    # Never diverging: every cached balance is the sum of its entries.
    sums = dict(
        PointsEntry.objects.values("membership_id")
        .annotate(s=Sum("points"))
        .values_list("membership_id", "s")
    )
    assert all(m.balance == sums.get(m.pk, 0) >= 0 for m in members)
    assert Redemption.objects.filter(status="used").exists()
    assert Redemption.objects.filter(status="reversed").count() == 1
    referred = members.filter(referred_by__isnull=False)
    assert referred.count() == demo.more["loyalty_referrals"] > 0
    # Each came with the contacts' referred-by relationship (the customers demo adds others).
    for m in referred.select_related("referred_by")[:5]:
        assert Relationship.objects.filter(
            from_contact_id=m.contact_id, to_contact_id=m.referred_by.contact_id, kind="referred_by"
        ).exists()
    assert PointsEntry.objects.filter(source="referral").exists()
    assert PointsEntry.objects.filter(source="expiry").exists()
    assert members.exclude(tier__position=0).exists()
