"""Partial refunds reverse their share of what the order earned: through the sales events,
once per refund event (redelivered or not), and the shares of successive refunds add up to
exactly what the order earned (property tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kith.core.events import events_dispatch
from kith.core.models import DomainEvent
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry
from kith.loyalty.services.earning import RefundShare, on_order_undone
from kith.sales.services import LineInput, order_create, order_status_set
from tests.loyalty.factories import make_programme, order_fact
from tests.sales.factories import make_product

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 10, 12, tzinfo=UTC)


def _ledger(membership_id: int) -> int:
    membership = Membership.objects.get(pk=membership_id)
    total = PointsEntry.objects.filter(membership_id=membership_id).aggregate(s=Sum("points"))["s"]
    assert membership.balance == (total or 0) >= 0
    return membership.balance


@pytest.fixture
def scheme(users):
    return make_programme(by=users.admin)


def test_partial_refunds_reverse_their_share_once_per_event(users, records, scheme):
    product = make_product(by=users.admin, price_minor=10000)
    order = order_create(
        by=users.rep_a, contact_id=records.contact_a.pk,
        lines=[LineInput(product_id=product.pk, quantity=1)],
    )  # fmt: skip
    events_dispatch()
    membership = Membership.objects.get(contact=records.contact_a)
    assert _ledger(membership.pk) == 100
    # 30 % refunded: 30 points, 30 tier points and 30 dollars of spend go back.
    order = order_status_set(
        by=users.rep_a, order_id=order.pk, status="partially_refunded", version=order.version,
        reason="One cup broken", refund_minor=3000,
    )  # fmt: skip
    events_dispatch()
    assert _ledger(membership.pk) == 70
    first = PointsEntry.objects.get(order_id=order.pk, source="reversal")
    assert (first.points, first.tier_points, first.spend_minor) == (-30, -30, -3000)
    # At least once: the same refund event handed over again reverses nothing more.
    event = DomainEvent.objects.get(name="order.refunded", object_id=order.pk)
    on_order_undone(event)
    on_order_undone(event)
    assert _ledger(membership.pk) == 70
    # Another 25 %, then the rest: the order ends with nothing earned, exactly.
    order = order_status_set(
        by=users.rep_a, order_id=order.pk, status="partially_refunded", version=order.version,
        reason="Second cup", refund_minor=2500,
    )  # fmt: skip
    events_dispatch()
    assert _ledger(membership.pk) == 45
    order_status_set(
        by=users.rep_a, order_id=order.pk, status="refunded", version=order.version,
        reason="All of it",
    )  # fmt: skip
    events_dispatch()
    assert _ledger(membership.pk) == 0
    reversals = PointsEntry.objects.filter(order_id=order.pk, source="reversal")
    assert sorted(reversals.values_list("points", flat=True)) == [-45, -30, -25]
    assert reversals.aggregate(s=Sum("spend_minor"))["s"] == -10000
    assert reversals.aggregate(s=Sum("tier_points"))["s"] == -100
    for event in DomainEvent.objects.filter(name="order.refunded", object_id=order.pk):
        on_order_undone(event)
    assert _ledger(membership.pk) == 0
    assert reversals.count() == 3


def test_a_cancellation_after_a_partial_refund_takes_the_rest(users, records, scheme):
    services.order_points_earn(
        order_fact(order_id=7, contact_id=records.contact_a.pk, total_minor=9900, at=T0)
    )
    share = RefundShare(before_minor=0, after_minor=3300, total_minor=9900)
    assert services.order_points_reverse(order_id=7, reason="part", refund=share) == 33
    assert services.order_points_reverse(order_id=7, reason="part", refund=share) == 0
    assert services.order_points_reverse(order_id=7, reason="cancel") == 66
    assert services.order_points_reverse(order_id=7, reason="cancel") == 0
    assert Membership.objects.get(contact=records.contact_a).balance == 0


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(1, 100_000),
    cuts=st.lists(st.integers(1, 1000), min_size=1, max_size=6),
    spend_first=st.integers(0, 2),
)
def test_the_shares_of_successive_refunds_add_up_to_what_the_order_earned(
    users, records, total, cuts, spend_first
):
    """Refunds that split the total at random points: each reverses floor(points × refunded /
    total) minus what the refunds before it took, never below a balance of 0, and the last one
    leaves the order's points, tier points and spend all reversed exactly."""
    with transaction.atomic():
        scheme = make_programme(by=users.admin)
        earned = services.order_points_earn(
            order_fact(order_id=1, contact_id=records.contact_a.pk, total_minor=total, at=T0)
        )
        points = total // 100
        if earned is None:
            assert points == 0
            transaction.set_rollback(True)
            return
        assert earned.points == points
        if spend_first and points >= scheme.voucher.cost_points:
            services.reward_redeem(
                by=users.admin, membership_id=earned.membership_id, reward_id=scheme.voucher.pk
            )
        weights = sum(cuts)
        marks = sorted({total * sum(cuts[: i + 1]) // weights for i in range(len(cuts))})
        before = 0
        for n, after in enumerate(marks):
            if after <= before:
                continue
            share = RefundShare(before_minor=before, after_minor=after, total_minor=total)
            balance = Membership.objects.get(pk=earned.membership_id).balance
            expected = min(points * after // total - points * before // total, balance)
            at = T0 + timedelta(days=n)
            got = services.order_points_reverse(order_id=1, reason="r", at=at, refund=share)
            assert got == expected
            assert services.order_points_reverse(order_id=1, reason="r", refund=share) == 0
            before = after
        reversals = PointsEntry.objects.filter(order_id=1, source="reversal").aggregate(
            tier=Sum("tier_points"), spend=Sum("spend_minor"), points=Sum("points")
        )
        assert (reversals["tier"], reversals["spend"]) == (-points, -total)
        assert _ledger(earned.membership_id) == 0
        if not spend_first or points < scheme.voucher.cost_points:
            assert reversals["points"] == -points
        transaction.set_rollback(True)


@given(
    amount=st.integers(0, 10**9),
    total=st.integers(1, 10**9),
    cuts=st.lists(st.integers(0, 10**9), max_size=8),
)
def test_refund_parts_partition_the_amount(amount, total, cuts):
    marks = sorted({0, total, *(min(c, total) for c in cuts)})
    parts = [
        RefundShare(before_minor=a, after_minor=b, total_minor=total).part(amount)
        for a, b in pairwise(marks)
    ]
    assert all(p >= 0 for p in parts)
    assert sum(parts) == amount
