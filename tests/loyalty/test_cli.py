"""`kith loyalty backfill`: points for past orders read from sales (the cli layer), each order
once (run twice, or after live events), with tiers and expiry; the gate on --user."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from typer.testing import CliRunner

from kith.cli.app import app
from kith.core.events import events_dispatch
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry
from kith.sales.services import LineInput, order_create
from tests.loyalty.factories import make_programme
from tests.sales.factories import make_product

pytestmark = pytest.mark.django_db


def kith(*args: str):
    return CliRunner().invoke(app, list(args))


def test_backfill_earns_past_orders_once(users, records):
    tea = make_product(by=users.admin, sku="TEA", price_minor=10000, category="Tea")
    mug = make_product(by=users.admin, sku="MUG", price_minor=5000, category="Gear")
    old = timezone.now() - timedelta(days=30)  # inside the tier window
    orders = [
        order_create(by=users.admin, contact_id=records.contact_a.pk, ordered_at=old,
                     lines=[LineInput(product_id=tea.pk, quantity=1), LineInput(product_id=mug.pk, quantity=1)]),
        order_create(by=users.admin, contact_id=records.contact_b.pk, ordered_at=old,
                     lines=[LineInput(product_id=mug.pk, quantity=3)]),
        order_create(by=users.admin, contact_id=records.contact_b.pk, ordered_at=old,
                     lines=[LineInput(product_id=mug.pk, quantity=1)], status="cancelled"),
    ]  # fmt: skip
    scheme = make_programme(by=users.admin, expiry_months=0)

    services.earning_rule_create(by=users.admin, programme_id=scheme.programme.pk,
                                 kind="category", category="Tea", multiplier_percent=200)  # fmt: skip
    refused = kith("loyalty", "backfill", "--user=nobody")
    assert refused.exit_code == 2
    result = kith("loyalty", "backfill", "--json", "--chunk=1")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["orders"] == 2 and summary["earned"] == 2 and summary["members_new"] == 2
    assert summary["points"] == 250 + 150
    a = Membership.objects.get(contact=records.contact_a)
    assert a.balance == 250 and a.tier == scheme.silver  # tiers evaluated after the backfill
    again = json.loads(kith("loyalty", "backfill", "--json").stdout)
    assert again["earned"] == 0 and again["skipped"] == 2
    # The live events of the same orders come later: still once.
    events_dispatch()
    assert PointsEntry.objects.filter(order_id=orders[0].pk).count() == 1
    assert PointsEntry.objects.aggregate(s=Sum("points"))["s"] == 400
    assert not PointsEntry.objects.filter(order_id=orders[2].pk).exists()


def test_a_rep_may_not_backfill(users, records):
    mug = make_product(by=users.admin, sku="MUG", price_minor=5000)
    order_create(by=users.admin, contact_id=records.contact_a.pk,
                 lines=[LineInput(product_id=mug.pk, quantity=1)])  # fmt: skip
    make_programme(by=users.admin)
    result = kith("loyalty", "backfill", "--json", "--user=rep_a")
    assert result.exit_code == 2
    assert "You may not edit loyalty programmes." in result.output
    assert not Membership.objects.exists()
