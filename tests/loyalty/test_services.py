"""Loyalty services: orders earn through the sales events (once), reversals, rules, limits,
tiers with a grace period, expiry oldest first, redemptions and vouchers, adjustments, the
permission gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from kith.core.errors import FieldError, NotFound
from kith.core.events import events_dispatch
from kith.core.models import DomainEvent
from kith.customers.models import Relationship
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry, Redemption
from kith.loyalty.services.earning import on_order_created
from kith.sales.services import LineInput, order_create, order_status_set
from tests.factories import make_contact
from tests.loyalty.factories import make_programme, order_fact
from tests.sales.factories import make_product

T0 = datetime(2026, 1, 10, 12, tzinfo=UTC)


def _balance_ok(membership_id: int) -> int:
    """The cached balance, checked against the sum of the ledger."""
    membership = Membership.objects.get(pk=membership_id)
    total = PointsEntry.objects.filter(membership_id=membership_id).aggregate(s=Sum("points"))["s"]
    assert membership.balance == (total or 0)
    return membership.balance


@pytest.fixture
def scheme(users):
    return make_programme(by=users.admin)


def test_an_order_earns_through_its_event_once_even_delivered_twice(users, records, scheme):
    product = make_product(by=users.admin, sku="TEA-1", price_minor=2500, category="Tea")
    order = order_create(
        by=users.rep_a, contact_id=records.contact_a.pk,
        lines=[LineInput(product_id=product.pk, quantity=2)],
    )  # fmt: skip
    event = DomainEvent.objects.get(name="order.created", object_id=order.pk)
    assert event.payload["lines"] == [
        {"product_id": product.pk, "quantity": 2, "amount_minor": 5000, "category": "Tea"}
    ]
    events_dispatch()
    membership = Membership.objects.get(contact=records.contact_a)
    assert _balance_ok(membership.pk) == 50
    # At least once: the same event handed over again earns nothing more.
    on_order_created(event)
    on_order_created(event)
    events_dispatch()
    assert _balance_ok(membership.pk) == 50
    assert PointsEntry.objects.filter(order_id=order.pk, source="order").count() == 1
    assert membership.tier == scheme.bronze


def test_cancelled_and_refunded_orders_reverse_exactly_what_they_earned(users, records, scheme):
    product = make_product(by=users.admin, price_minor=4000)
    first = order_create(by=users.rep_a, contact_id=records.contact_a.pk,
                         lines=[LineInput(product_id=product.pk, quantity=1)])  # fmt: skip
    second = order_create(by=users.rep_a, contact_id=records.contact_a.pk,
                          lines=[LineInput(product_id=product.pk, quantity=2)])  # fmt: skip
    events_dispatch()
    membership = Membership.objects.get(contact=records.contact_a)
    assert _balance_ok(membership.pk) == 120
    order_status_set(
        by=users.rep_a, order_id=second.pk, status="refunded", version=1, reason="Damaged"
    )
    events_dispatch()
    events_dispatch()
    assert _balance_ok(membership.pk) == 40
    reversal = PointsEntry.objects.get(order_id=second.pk, source="reversal")
    assert (reversal.points, reversal.tier_points, reversal.spend_minor) == (-80, -80, -8000)
    # The reversal took from the refunded order's own lot, not the older one.
    assert list(reversal.takes.values_list("lot__order_id", "points")) == [(second.pk, 80)]
    order_status_set(
        by=users.rep_a, order_id=first.pk, status="cancelled", version=1, reason="Changed mind"
    )
    events_dispatch()
    assert _balance_ok(membership.pk) == 0
    assert services.order_points_reverse(order_id=first.pk, reason="again") == 0


def test_product_and_category_rules_tier_multiplier_and_daily_limit(users, records):
    scheme = make_programme(by=users.admin, daily_limit=500)
    services.earning_rule_create(by=users.admin, programme_id=scheme.programme.pk,
                                 kind="category", category="tea", multiplier_percent=200)  # fmt: skip
    services.earning_rule_create(by=users.admin, programme_id=scheme.programme.pk,
                                 kind="product", product_id=7, multiplier_percent=300)  # fmt: skip
    contact = records.contact_a.pk
    lines = (
        services.OrderLineFact(product_id=7, quantity=1, amount_minor=1000, category="Tea"),
        services.OrderLineFact(product_id=8, quantity=1, amount_minor=1050, category="Tea"),
        services.OrderLineFact(product_id=9, quantity=1, amount_minor=999, category="Coffee"),
    )
    entry = services.order_points_earn(
        order_fact(order_id=1, contact_id=contact, total_minor=3049, at=T0, lines=lines)
    )
    # 10 × 300 % + 10.50 × 200 % (21) + 9.99 × 100 % (9) = 60 at Bronze (100 %).
    assert entry is not None and entry.points == 60
    services.order_points_earn(order_fact(order_id=2, contact_id=contact, total_minor=20000, at=T0))
    membership = Membership.objects.select_related("tier").get(contact_id=contact)
    assert membership.tier == scheme.silver  # 260 points in the window: up at once
    # Silver earns 150 %: 300 × 1.5 = 450, but the day allows 500 − 260 = 240.
    third = services.order_points_earn(
        order_fact(order_id=3, contact_id=contact, total_minor=30000, at=T0 + timedelta(hours=1))
    )
    assert third is not None and third.points == 240
    assert (
        services.order_points_earn(
            order_fact(order_id=4, contact_id=contact, total_minor=100, at=T0 + timedelta(hours=2))
        )
        is None
    )  # the day is full
    nextday = services.order_points_earn(
        order_fact(order_id=5, contact_id=contact, total_minor=100, at=T0 + timedelta(days=1))
    )
    assert nextday is not None and nextday.points == 1
    assert _balance_ok(membership.pk) == 501


def test_expiry_takes_the_oldest_points_first(users, records):
    scheme = make_programme(by=users.admin, expiry_months=12)
    contact = records.contact_a.pk
    services.order_points_earn(order_fact(order_id=1, contact_id=contact, total_minor=10000, at=T0))
    later = T0 + timedelta(days=100)
    services.order_points_earn(
        order_fact(order_id=2, contact_id=contact, total_minor=5000, at=later)
    )
    membership = Membership.objects.get(contact_id=contact)
    # The redemption takes its 100 points from the oldest lot (the first order's 100).
    services.reward_redeem(by=users.admin, membership_id=membership.pk, reward_id=scheme.voucher.pk)
    # 75 of the second lot remain: Silver's multiplier did not apply (100 < 200 at the time).
    assert _balance_ok(membership.pk) == 50
    assert services.points_expire(now=datetime(2027, 1, 11, tzinfo=UTC)) == 0  # first lot: spent
    assert services.points_expire(now=datetime(2027, 4, 21, tzinfo=UTC)) == 50
    assert services.points_expire(now=datetime(2027, 4, 22, tzinfo=UTC)) == 0  # idempotent
    assert _balance_ok(membership.pk) == 0
    assert scheme.programme.expiry_months == 12


def test_tiers_go_up_at_once_and_down_after_the_grace(users, records, scheme):
    contact = records.contact_a.pk
    services.order_points_earn(order_fact(order_id=1, contact_id=contact, total_minor=25000, at=T0))
    membership = Membership.objects.get(contact_id=contact)
    assert membership.tier == scheme.silver
    # A year on, the window holds nothing: the member is below Silver, the downgrade waits.
    year = T0 + timedelta(days=366)
    assert services.tiers_evaluate(now=year) == 0
    membership.refresh_from_db()
    assert membership.tier == scheme.silver and membership.below_tier_since == year
    assert services.tiers_evaluate(now=year + timedelta(days=29)) == 0
    assert services.tiers_evaluate(now=year + timedelta(days=30)) == 1
    membership.refresh_from_db()
    assert membership.tier == scheme.bronze and membership.below_tier_since is None
    changed = DomainEvent.objects.filter(name="loyalty.tier_changed").order_by("id")
    assert [e.payload["to_tier_id"] for e in changed] == [scheme.silver.pk, scheme.bronze.pk]


def test_redemption_codes_are_one_time_expire_and_reverse(users, records, scheme):
    services.order_points_earn(
        order_fact(order_id=1, contact_id=records.contact_a.pk, total_minor=15000, at=T0)
    )
    membership = Membership.objects.get(contact=records.contact_a)
    first = services.reward_redeem(
        by=users.rep_a, membership_id=membership.pk, reward_id=scheme.voucher.pk
    )
    assert len(first.code) == 12 and first.expires_at - first.created_at == timedelta(days=30)
    with pytest.raises(FieldError) as short:
        services.reward_redeem(
            by=users.rep_a, membership_id=membership.pk, reward_id=scheme.voucher.pk
        )
    assert "points" in short.value.errors
    assert _balance_ok(membership.pk) == 50
    services.voucher_use(by=users.rep_a, code=first.code.lower())
    with pytest.raises(FieldError) as used:
        services.voucher_use(by=users.rep_a, code=first.code)
    assert used.value.errors == {"code": "This code was used already."}
    with pytest.raises(FieldError) as late:
        services.redemption_reverse(by=users.rep_a, redemption_id=first.pk)
    assert "status" in late.value.errors
    services.points_adjust(
        by=users.rep_a, membership_id=membership.pk, points=60, reason="Goodwill"
    )
    second = services.reward_redeem(
        by=users.rep_a, membership_id=membership.pk, reward_id=scheme.voucher.pk
    )
    with pytest.raises(FieldError) as expired:
        services.voucher_use(
            by=users.rep_a, code=second.code, now=timezone.now() + timedelta(days=31)
        )
    assert expired.value.errors == {"code": "This code has expired."}
    services.redemption_reverse(by=users.rep_a, redemption_id=second.pk, reason="Changed mind")
    second.refresh_from_db()
    assert second.status == Redemption.Status.REVERSED
    assert _balance_ok(membership.pk) == 110


def test_a_tier_upgrade_reward_holds_the_tier_and_its_reversal_returns_it(users, records, scheme):
    services.order_points_earn(
        order_fact(
            order_id=1, contact_id=records.contact_a.pk, total_minor=40000, at=timezone.now()
        )
    )
    membership = Membership.objects.get(contact=records.contact_a)
    assert membership.tier == scheme.silver
    redemption = services.reward_redeem(
        by=users.admin, membership_id=membership.pk, reward_id=scheme.upgrade.pk
    )
    membership.refresh_from_db()
    assert membership.tier == scheme.gold and membership.tier_held_until == redemption.expires_at
    services.tiers_evaluate(now=timezone.now() + timedelta(days=40))  # held: no downgrade
    membership.refresh_from_db()
    assert membership.tier == scheme.gold
    services.redemption_reverse(by=users.admin, redemption_id=redemption.pk)
    membership.refresh_from_db()
    assert membership.tier == scheme.silver and _balance_ok(membership.pk) == 400


def test_adjustments_need_a_reason_and_never_go_below_zero(users, records, scheme):
    membership = services.membership_enrol(
        by=users.rep_a, programme_id=scheme.programme.pk, contact_id=records.contact_a.pk
    )
    with pytest.raises(FieldError) as bad:
        services.points_adjust(by=users.rep_a, membership_id=membership.pk, points=0, reason="")
    assert set(bad.value.errors) == {"points", "reason"}
    with pytest.raises(FieldError) as short:
        services.points_adjust(by=users.rep_a, membership_id=membership.pk, points=-1, reason="x")
    assert "points" in short.value.errors
    assert PointsEntry.objects.filter(membership=membership).count() == 0


def test_the_gate_hides_other_teams_members(users, records, scheme):
    membership = services.membership_enrol(
        by=users.admin, programme_id=scheme.programme.pk, contact_id=records.contact_b.pk
    )
    with pytest.raises(NotFound):
        services.points_adjust(by=users.rep_a, membership_id=membership.pk, points=5, reason="x")
    with pytest.raises(FieldError):
        services.membership_enrol(
            by=users.rep_a, programme_id=scheme.programme.pk, contact_id=records.contact_b.pk
        )
    with pytest.raises(NotFound):
        services.reward_redeem(
            by=users.rep_a, membership_id=membership.pk, reward_id=scheme.voucher.pk
        )


def test_referral_links_the_contacts_and_both_earn_on_the_first_order(users, records, scheme):
    services.earning_rule_create(by=users.admin, programme_id=scheme.programme.pk, kind="bonus",
                                 event="referral", points=50)  # fmt: skip
    services.earning_rule_create(by=users.admin, programme_id=scheme.programme.pk, kind="bonus",
                                 event="signup", points=10)  # fmt: skip
    referrer = services.membership_enrol(
        by=users.rep_a, programme_id=scheme.programme.pk, contact_id=records.contact_a.pk
    )
    friend_contact = make_contact(by=users.rep_a, full_name="Lê Văn Nam")
    friend = services.membership_enrol(
        by=users.rep_a, programme_id=scheme.programme.pk, contact_id=friend_contact.pk,
        referral_code=referrer.referral_code.lower(),
    )  # fmt: skip
    assert Relationship.objects.filter(
        from_contact=friend_contact, to_contact=records.contact_a, kind="referred_by"
    ).exists()
    services.order_points_earn(
        order_fact(order_id=1, contact_id=friend_contact.pk, total_minor=3000, at=T0)
    )
    services.order_points_earn(
        order_fact(order_id=2, contact_id=friend_contact.pk, total_minor=3000, at=T0)
    )
    assert _balance_ok(referrer.pk) == 10 + 50
    assert _balance_ok(friend.pk) == 10 + 30 + 50 + 30
    with pytest.raises(FieldError) as late:
        services.referral_apply(by=users.rep_a, membership=friend, code=referrer.referral_code)
    assert "referral_code" in late.value.errors
    # The first order refunded: its referral bonuses go too.
    services.order_points_reverse(order_id=1, reason="refund")
    assert _balance_ok(referrer.pk) == 10
    assert _balance_ok(friend.pk) == 10 + 30


def test_programme_and_rule_input_errors_name_the_field(users):
    with pytest.raises(FieldError) as bad:
        services.programme_create(by=users.admin, name="", currency="us", points_per_unit=0)
    assert set(bad.value.errors) == {"name", "currency", "points_per_unit"}
    scheme = make_programme(by=users.admin)
    with pytest.raises(FieldError) as twice:
        services.programme_create(by=users.admin, name="Again", currency="USD")
    assert set(twice.value.errors) == {"currency"}
    with pytest.raises(FieldError) as rule:
        services.earning_rule_create(
            by=users.admin, programme_id=scheme.programme.pk, kind="bonus", event="x"
        )
    assert set(rule.value.errors) == {"event", "points"}
    with pytest.raises(FieldError) as tier:
        services.tier_create(by=users.admin, programme_id=scheme.programme.pk, name="Tin",
                             position=3, threshold=500)  # fmt: skip
    assert set(tier.value.errors) == {"threshold"}


def test_downstream_referrals_and_their_revenue(users, records, scheme):
    from kith.loyalty.selectors import member_card, top_advocates

    root = services.membership_enrol(
        by=users.admin, programme_id=scheme.programme.pk, contact_id=records.contact_a.pk
    )
    parent = root
    chain = []
    for i in range(3):  # root → m0 → m1 → m2, each ordering $10 × (i + 1)
        contact = make_contact(by=users.admin, full_name=f"Friend {i}")
        member = services.membership_enrol(
            by=users.admin, programme_id=scheme.programme.pk, contact_id=contact.pk,
            referral_code=parent.referral_code,
        )  # fmt: skip
        services.order_points_earn(
            order_fact(order_id=10 + i, contact_id=contact.pk, total_minor=1000 * (i + 1), at=T0)
        )
        chain.append(member)
        parent = member
    card = member_card(membership=Membership.objects.get(pk=root.pk))
    assert (card.referred_count, card.referred_revenue_minor) == (1, 1000)
    assert (card.downstream_count, card.downstream_revenue_minor) == (3, 6000)
    assert card.downstream_revenue == "60.00 USD"
    [first, second, third] = top_advocates(user=users.admin, programme_id=scheme.programme.pk)
    assert (first.membership_id, first.referred, first.revenue_minor) == (root.pk, 1, 1000)
    assert {second.membership_id, third.membership_id} == {chain[0].pk, chain[1].pk}


def test_the_birthday_bonus_once_a_year_and_the_nightly_schedules(users, records, scheme):
    from datetime import date

    from kith.core.schedules import SCHEDULES
    from kith.customers.models import Contact

    services.earning_rule_create(by=users.admin, programme_id=scheme.programme.pk, kind="bonus",
                                 event="birthday", points=200)  # fmt: skip
    member = services.membership_enrol(
        by=users.admin, programme_id=scheme.programme.pk, contact_id=records.contact_a.pk
    )
    services.membership_enrol(
        by=users.admin, programme_id=scheme.programme.pk, contact_id=records.contact_b.pk
    )
    Contact.objects.filter(pk=records.contact_a.pk).update(custom={"birthday": "1990-07-14"})
    Contact.objects.filter(pk=records.contact_b.pk).update(custom={"birthday": "1988-02-29"})
    assert services.birthday_bonuses_award(today=date(2027, 7, 13)) == 0
    assert services.birthday_bonuses_award(today=date(2027, 7, 14)) == 1
    assert services.birthday_bonuses_award(today=date(2027, 7, 14)) == 0  # once a year
    assert services.birthday_bonuses_award(today=date(2027, 2, 28)) == 1  # a leap-day birthday
    assert _balance_ok(member.pk) == 200
    for name in ("loyalty.points_expire", "loyalty.tiers_evaluate", "loyalty.birthday_bonuses"):
        assert SCHEDULES[name].every == timedelta(days=1)


def test_the_nightly_run_raises_backfilled_members_in_bulk_as_tier_move_would(
    users, records, scheme
):
    from kith.core.models import ChangeRecord

    contact = records.contact_a.pk
    services.orders_backfill([order_fact(order_id=1, contact_id=contact, total_minor=25000, at=T0)])
    membership = Membership.objects.get(contact_id=contact)
    assert membership.tier == scheme.bronze  # the backfill earns; the nightly run moves tiers
    assert services.tiers_evaluate(now=T0 + timedelta(days=1)) == 1
    membership.refresh_from_db()
    assert (membership.tier, membership.tier_since) == (scheme.silver, T0 + timedelta(days=1))
    (change,) = ChangeRecord.objects.filter(model="loyalty.membership", object_id=membership.pk)
    assert (change.action, change.field, change.old_value, change.new_value) == (
        "update", "tier", str(scheme.bronze), str(scheme.silver),
    )  # fmt: skip
    (event,) = DomainEvent.objects.filter(name="loyalty.tier_changed", object_id=membership.pk)
    assert event.model == "loyalty.membership"
    assert {k: event.payload[k] for k in ("programme_id", "contact_id", "from_tier_id",
                                           "to_tier_id")} == {
        "programme_id": scheme.programme.pk, "contact_id": contact,
        "from_tier_id": scheme.bronze.pk, "to_tier_id": scheme.silver.pk,
    }  # fmt: skip
    assert services.tiers_evaluate(now=T0 + timedelta(days=2)) == 0  # idempotent


def test_expiry_in_bulk_writes_one_entry_and_allocation_per_lot(users, records):
    make_programme(by=users.admin, expiry_months=12)
    for order_id, contact in ((1, records.contact_a.pk), (2, records.contact_b.pk)):
        services.order_points_earn(
            order_fact(order_id=order_id, contact_id=contact, total_minor=5000, at=T0)
        )
    later = T0 + timedelta(days=400)
    assert services.points_expire(now=later, chunk=1) == 100  # one member per transaction
    for membership in Membership.objects.all():
        (expiry,) = PointsEntry.objects.filter(membership=membership, source="expiry")
        (lot,) = PointsEntry.objects.filter(membership=membership, source="order")
        assert (expiry.points, expiry.source_key, expiry.at) == (-50, f"expiry:{lot.pk}", later)
        assert list(expiry.takes.values_list("lot_id", "points")) == [(lot.pk, 50)]
        versions = membership.version
        assert _balance_ok(membership.pk) == 0
        # One version per ledger entry, as entry_append counts them.
        assert versions == 1 + PointsEntry.objects.filter(membership=membership).count()
    assert services.points_expire(now=later) == 0
