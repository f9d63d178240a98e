"""Property tests of the ledger against a plain model of FIFO lots: after any sequence of
orders, redemptions, order reversals and expiry runs the cached balance is the sum of the
entries and never negative, every debit took the oldest points first (each lot's remaining
points match the model's), expiry removes exactly what remained of the lots past their date,
and a reversal takes back exactly what its order earned (or what is left)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kith.core.errors import FieldError
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry
from kith.loyalty.services.ledger import lots_open, months_add

pytestmark = pytest.mark.django_db

COST = 100  # the reward's price in points

operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 400), st.integers(0, 20)),  # dollars, days on
        st.tuples(st.just("redeem"), st.just(0), st.integers(0, 5)),
        st.tuples(st.just("reverse"), st.integers(0, 12), st.integers(0, 5)),  # the n-th order
        st.tuples(st.just("expire"), st.just(0), st.integers(0, 60)),
    ),
    min_size=1,
    max_size=25,
)


@dataclass
class ModelLot:
    order: int
    entry_id: int
    points: int
    expires: object
    remaining: int


def _take(lots: list[ModelLot], needed: int, first: ModelLot | None = None) -> None:
    ordered = ([first] if first else []) + [lot for lot in lots if lot is not first]
    for lot in ordered:
        take = min(needed, lot.remaining)
        lot.remaining -= take
        needed -= take
    assert needed == 0


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_the_ledger_matches_a_model_of_fifo_lots(users, records, ops):
    with transaction.atomic():
        programme = services.programme_create(
            by=users.admin, name="P", currency="USD", expiry_months=1
        )
        voucher = services.reward_create(
            by=users.admin, programme_id=programme.pk, name="V", kind="voucher",
            cost_points=COST, value_minor=100,
        )  # fmt: skip
        clock = timezone.now() - timedelta(days=2000)
        lots: list[ModelLot] = []
        orders: list[int] = []
        reversed_orders: set[int] = set()
        expired_model = expired_db = 0
        membership_id = None
        for kind, value, days in ops:
            clock += timedelta(days=days)
            if kind == "earn":
                order_id = len(orders) + 1
                orders.append(order_id)
                entry = services.order_points_earn(
                    services.OrderFact(order_id=order_id, contact_id=records.contact_a.pk,
                                       currency="USD", total_minor=value * 100, at=clock)
                )  # fmt: skip
                assert entry is not None and entry.points == value
                membership_id = entry.membership_id
                lots.append(ModelLot(order_id, entry.pk, value, months_add(clock, 1), value))
            elif kind == "redeem" and membership_id is not None:
                balance = sum(lot.remaining for lot in lots)
                if balance < COST:
                    with pytest.raises(FieldError):
                        services.reward_redeem(
                            by=users.admin, membership_id=membership_id, reward_id=voucher.pk
                        )
                else:
                    services.reward_redeem(
                        by=users.admin, membership_id=membership_id, reward_id=voucher.pk
                    )
                    _take(lots, COST)
            elif kind == "reverse" and value < len(orders):
                order_id = orders[value]
                before = sum(lot.remaining for lot in lots)
                got = services.order_points_reverse(order_id=order_id, reason="refund", at=clock)
                if order_id in reversed_orders:
                    assert got == 0
                else:
                    reversed_orders.add(order_id)
                    own = next(lot for lot in lots if lot.order == order_id)
                    expected = min(own.points, before)
                    assert got == expected
                    _take(lots, expected, first=own)
            elif kind == "expire":
                for lot in lots:
                    if lot.expires <= clock:
                        expired_model += lot.remaining
                        lot.remaining = 0
                expired_db += services.points_expire(now=clock)
            if membership_id is not None:
                membership = Membership.objects.get(pk=membership_id)
                total = PointsEntry.objects.filter(membership_id=membership_id).aggregate(
                    s=Sum("points")
                )["s"]
                assert membership.balance == total == sum(lot.remaining for lot in lots)
                assert membership.balance >= 0
                open_lots = {lot.entry_id: lot.remaining for lot in lots_open(membership_id)}
                assert open_lots == {lot.entry_id: lot.remaining for lot in lots if lot.remaining}
        assert expired_db == expired_model
        transaction.set_rollback(True)
