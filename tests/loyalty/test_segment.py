"""The "points about to expire × high churn risk" audience: marketing's segment field
points_expiring (loyalty's expression: points of lots expiring within 30 days still held)
combined with churn_risk in one rule tree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.customers.models import Contact
from kith.insights.models import CustomerScore
from kith.loyalty import services
from kith.loyalty.models import Membership
from kith.marketing.rules import FIELDS, rules_compile
from tests.factories import make_contact
from tests.loyalty.factories import make_programme, order_fact

pytestmark = pytest.mark.django_db


def test_points_expiring_and_high_churn_risk_is_a_segment(users, records):
    scheme = make_programme(by=users.admin, expiry_months=12)
    now = timezone.now()
    soon = now - timedelta(days=350)  # expires in ~15 days
    late = now - timedelta(days=100)  # expires in ~265 days
    people = {name: make_contact(by=users.rep_a, full_name=name) for name in "ABCDE"}
    for n, (name, at, dollars) in enumerate(
        [("A", soon, 150), ("B", late, 150), ("C", soon, 150), ("D", soon, 120), ("E", soon, 90)]
    ):
        services.order_points_earn(
            order_fact(order_id=n + 1, contact_id=people[name].pk, total_minor=dollars * 100, at=at)
        )
    # D spends 100 of its 120 expiring points: 20 are left.
    member_d = Membership.objects.get(contact=people["D"])
    services.reward_redeem(by=users.admin, membership_id=member_d.pk, reward_id=scheme.voucher.pk)
    for name, risk in {"A": 0.8, "B": 0.9, "C": 0.2, "D": 0.85, "E": 0.7}.items():
        CustomerScore.objects.create(contact=people[name], churn_risk=risk, scored_at=now)
    assert str(FIELDS["points_expiring"].label) == "loyalty points expiring within 30 days"
    tree = {
        "match": "all",
        "rules": [
            {"field": "points_expiring", "op": "gte", "value": 50},
            {"field": "churn_risk", "op": "gte", "value": 0.6},
        ],
    }
    matched = Contact.objects.filter(rules_compile(tree, now=now))
    assert set(matched.values_list("full_name", flat=True)) == {"A", "E"}
    some = {"match": "all", "rules": [{"field": "points_expiring", "op": "gt", "value": 0}]}
    names = set(
        Contact.objects.filter(rules_compile(some, now=now)).values_list("full_name", flat=True)
    )
    assert names == {"A", "C", "D", "E"}
    none = {"match": "all", "rules": [{"field": "points_expiring", "op": "eq", "value": 0}]}
    zero = set(
        Contact.objects.filter(rules_compile(none, now=now)).values_list("full_name", flat=True)
    )
    assert {"B", records.contact_a.full_name} <= zero and "A" not in zero
