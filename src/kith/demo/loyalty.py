"""Demo data of loyalty: a programme with three tiers, earning rules and a reward catalogue;
points for the demo's past orders (the bulk backfill), sign-up and referral bonuses,
redemptions (some used, one reversed), expiry of old points and the tier evaluation.

The sales orders reach loyalty as OrderFacts through `kith.insights.loyalty_orders` (shared
with `kith loyalty backfill` and the handler of bulk imports): loyalty may not read sales.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kith.customers.models import Contact
from kith.demo.context import DemoContext
from kith.insights.loyalty_orders import sales_order_facts
from kith.loyalty import services
from kith.loyalty.models import EarningRule, Membership, Reward
from kith.sales.models import Order, Product
from kith.sales.services.orders import LineInput, order_create

TIERS = (("Bronze", 0, 100, "Birthday bonus"), ("Silver", 500, 125, "Free delivery"),
         ("Gold", 2000, 150, "Free delivery\nEarly access to new teas"))  # fmt: skip
REDEMPTIONS = 400


def demo_loyalty_load(context: DemoContext) -> None:
    """Adds the loyalty demo records; counts go to context.counts."""
    rng = context.rng("loyalty")
    admin = context.users["admin"]
    programme = services.programme_create(
        by=admin, name="Kith Rewards", currency="USD", points_per_unit=1, point_value_minor="1",
        expiry_months=12, daily_limit=5000, tier_window_days=365, grace_days=30,
    )  # fmt: skip
    tiers = [
        services.tier_create(
            by=admin,
            programme_id=programme.pk,
            name=name,
            position=i,
            threshold=threshold,
            multiplier_percent=multiplier,
            benefits=benefits,
        )
        for i, (name, threshold, multiplier, benefits) in enumerate(TIERS)
    ]
    services.earning_rule_create(
        by=admin, programme_id=programme.pk, kind="category", category="Tea", multiplier_percent=200
    )
    for event, points in (("signup", 100), ("referral", 250), ("birthday", 200), ("review", 50)):
        services.earning_rule_create(
            by=admin, programme_id=programme.pk, kind="bonus", event=event, points=points
        )
    phin = Product.objects.filter(name="Phin filter").values_list("pk", flat=True).first()
    rewards = [
        services.reward_create(by=admin, programme_id=programme.pk, name="$5 voucher",
                               kind="voucher", cost_points=500, value_minor=500),
        services.reward_create(by=admin, programme_id=programme.pk, name="10% off your next order",
                               kind="discount", cost_points=800, discount_percent=10),
        services.reward_create(by=admin, programme_id=programme.pk, name="Gold for a year",
                               kind="tier", cost_points=3000, tier_id=tiers[-1].pk, valid_days=365),
    ]  # fmt: skip
    if phin:
        rewards.append(
            services.reward_create(by=admin, programme_id=programme.pk, name="A free phin filter",
                                   kind="product", cost_points=1000, product_id=phin)
        )  # fmt: skip
    result = services.orders_backfill(
        sales_order_facts(
            Order.objects.all(), chunk=2000,
            progress=lambda done, total: context.report("loyalty points", done, total),
        )
    )  # fmt: skip
    members = list(Membership.objects.filter(programme=programme).order_by("pk"))
    # Referrals: contacts who never ordered join with a member's code (the referred-by
    # relationship comes with it); half of them then order, and both earn the bonus.
    # A subquery, not an IN list of every member (more values than SQLite takes at large).
    buyers = Membership.objects.filter(programme=programme).values("contact_id")
    newcomers = list(
        Contact.objects.exclude(pk__in=buyers).order_by("pk").values_list("pk", flat=True)[:40]
    )
    products = list(Product.objects.order_by("pk").values_list("pk", "price_minor", "category"))
    referred = referral_orders = 0
    for i, contact_id in enumerate(newcomers):
        referrer = members[rng.randrange(len(members))] if members else None
        services.membership_enrol(
            by=admin, programme_id=programme.pk, contact_id=contact_id,
            referral_code=referrer.referral_code if referrer else "",
            language=("en", "zh-hans", "vi")[i % 3],
        )  # fmt: skip
        referred += 1
        if i % 2 == 0 and products:
            product_id, price, category = products[rng.randrange(len(products))]
            order = order_create(
                by=admin,
                contact_id=contact_id,
                lines=[LineInput(product_id=product_id, quantity=2)],
                # In the weeks since they joined, not at this very moment of the load.
                ordered_at=timezone.now() - timedelta(days=rng.randint(2, 40)),
            )
            referral_orders += 1
            # The worker would earn it from the order.created event; earn it now (once) so the
            # demo's figures are complete at once.
            services.order_points_earn(
                services.OrderFact(
                    order_id=order.pk,
                    contact_id=contact_id,
                    currency=order.currency,
                    total_minor=order.total_minor,
                    at=order.ordered_at,
                    lines=(services.OrderLineFact(product_id, 2, 2 * price, category),),
                )
            )
    # Redemptions by members with enough points: most codes used, one reversed.
    redeemed = 0
    now = timezone.now()
    rich = list(Membership.objects.filter(programme=programme, balance__gte=500).order_by("pk"))
    # A third of them, up to REDEMPTIONS: each goes through the services (voucher codes, the
    # lots a debit takes), at ~50 ms each; a few hundred fill the pages as well as thousands.
    for member in rich[: max(1, min(REDEMPTIONS, len(rich) // 3))]:
        affordable = [
            r
            for r in rewards
            if r.cost_points <= member.balance and r.kind != Reward.Kind.TIER_UPGRADE
        ]
        if not affordable:
            continue
        redemption = services.reward_redeem(
            by=admin, membership_id=member.pk, reward_id=rng.choice(affordable).pk
        )
        redeemed += 1
        if redeemed == 1:
            services.redemption_reverse(
                by=admin, redemption_id=redemption.pk, reason="Changed mind"
            )
        elif rng.random() < 0.6:
            services.voucher_use(by=admin, code=redemption.code, now=now)
    for member in members[:: max(1, len(members) // 20)]:
        services.points_bonus_award(
            by=admin, membership_id=member.pk, event=EarningRule.Event.REVIEW,
            reference=f"demo-review-{member.pk}",
        )  # fmt: skip
    services.tiers_evaluate(now=now + timedelta(seconds=1))
    expired = services.points_expire(now=now)
    context.counts.update(
        {"loyalty_members": len(members), "loyalty_orders_earned": result.earned,
         "loyalty_redemptions": redeemed, "loyalty_referrals": referred,
         "loyalty_referral_orders": referral_orders,
         "loyalty_points_expired": expired}
    )  # fmt: skip
