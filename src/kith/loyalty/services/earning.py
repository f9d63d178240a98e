"""Points for orders, from the sales domain events (loyalty never imports sales).

`order.created` earns (its payload carries the contact, total, currency, status and lines);
`order.cancelled` / `order.refunded` reverse exactly what that order earned, the referral
bonuses included. Both are idempotent: every entry has a unique source key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kith.core.models import DomainEvent
from kith.loyalty.models import EarningRule, Membership, PointsEntry, Programme
from kith.loyalty.services.ledger import credit_expiry, daily_cap, entry_append, membership_lock
from kith.loyalty.services.members import bonus_rule_award, membership_join, membership_tier_refresh

# sales' Order.COUNTED (an order placed, paid, fulfilled or partly refunded is a purchase)
EARNING_STATUSES = frozenset({"placed", "paid", "fulfilled", "partially_refunded"})


@dataclass(frozen=True)
class OrderLineFact:
    product_id: int
    quantity: int
    amount_minor: int
    category: str = ""


@dataclass(frozen=True)
class OrderFact:
    """What loyalty knows of an order (from an event payload or the backfill)."""

    order_id: int
    contact_id: int
    currency: str
    total_minor: int
    at: datetime
    lines: tuple[OrderLineFact, ...] = field(default=())
    # Points before the tier multiplier, computed already in bulk (the backfill's reader sums
    # them per order in SQL with the programme's rules; see line_percent_by_product): when set,
    # `lines` is not needed.
    base_points: int | None = None


@dataclass(frozen=True)
class Rules:
    """A programme's line multipliers: product id → %, category → %."""

    products: Mapping[int, int]
    categories: Mapping[str, int]

    @classmethod
    def of(cls, programme_id: int) -> Rules:
        rows = EarningRule.objects.filter(programme_id=programme_id, is_active=True).exclude(
            kind=EarningRule.Kind.BONUS
        )
        products: dict[int, int] = {}
        categories: dict[str, int] = {}
        for rule in rows:
            if rule.kind == EarningRule.Kind.PRODUCT and rule.product_id is not None:
                products[rule.product_id] = max(
                    products.get(rule.product_id, 0), rule.multiplier_percent
                )
            elif rule.kind == EarningRule.Kind.CATEGORY:
                key = rule.category.casefold()
                categories[key] = max(categories.get(key, 0), rule.multiplier_percent)
        return cls(products=products, categories=categories)


def line_percent_by_product(rules: Rules, categories: Mapping[int, str]) -> dict[int, int]:
    """The multiplier (%) of every product whose lines do not earn 100 %: its product rule,
    else its category's (`categories`: product id → category); for a reader that computes an
    order's base points in SQL the way order_base_points does."""
    found: dict[int, int] = {}
    for product_id, category in categories.items():
        percent = rules.products.get(product_id) or rules.categories.get(
            (category or "").casefold(), 100
        )
        if percent != 100:
            found[product_id] = percent
    for product_id, percent in rules.products.items():
        if percent and percent != 100:
            found[product_id] = percent
    return found


def order_base_points(programme: Programme, rules: Rules, order: OrderFact) -> int:
    """Points before the tier multiplier and the daily limit: per line, its amount in currency
    units × points per unit × the product's (else category's) multiplier, rounded down; an
    order without lines earns on its total."""
    if order.base_points is not None:
        return order.base_points
    per_unit, unit = programme.points_per_unit, programme.unit_minor
    if not order.lines:
        return max(0, order.total_minor) * per_unit // unit
    points = 0
    for line in order.lines:
        percent = rules.products.get(line.product_id) or rules.categories.get(
            line.category.casefold(), 100
        )
        points += max(0, line.amount_minor) * per_unit * percent // (unit * 100)
    return points


def order_fact_from_event(event: DomainEvent) -> OrderFact | None:
    payload: dict[str, Any] = event.payload or {}
    try:
        lines = tuple(
            OrderLineFact(
                product_id=int(line["product_id"]),
                quantity=int(line["quantity"]),
                amount_minor=int(line["amount_minor"]),
                category=str(line.get("category") or ""),
            )
            for line in payload.get("lines") or ()
        )
        at = parse_datetime(str(payload.get("ordered_at") or "")) or event.created_at
        return OrderFact(
            order_id=int(event.object_id or 0), contact_id=int(payload["contact_id"]),
            currency=str(payload["currency"]), total_minor=int(payload["total_minor"]), at=at,
            lines=lines,
        )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None


def order_points_earn(order: OrderFact, *, rules: Rules | None = None) -> PointsEntry | None:
    """Earn the order's points in the active programme of its currency (enrolling the contact
    on a first order); once per order. None: no programme, or nothing to earn."""
    programme = Programme.objects.filter(currency=order.currency, is_active=True).first()
    if programme is None:
        return None
    with transaction.atomic():
        membership, _joined = membership_join(
            programme=programme, contact_id=order.contact_id, at=order.at
        )
        membership = membership_lock(membership.pk)
        key = f"order:{order.order_id}"
        if PointsEntry.objects.filter(source_key=key).exists():
            return None
        first_order = not PointsEntry.objects.filter(
            membership=membership, source=PointsEntry.Source.ORDER
        ).exists()
        base = order_base_points(programme, rules or Rules.of(programme.pk), order)
        multiplier = membership.tier.multiplier_percent if membership.tier else 100
        points = daily_cap(membership, base * multiplier // 100, order.at)
        entry = None
        if points > 0:
            entry, _created = entry_append(
                membership, source=PointsEntry.Source.ORDER, points=points, at=order.at, key=key,
                order_id=order.order_id, spend_minor=order.total_minor, tier_points=points,
                expires_at=credit_expiry(membership, order.at),
            )  # fmt: skip
        if first_order and membership.referred_by_id is not None:
            _referral_bonuses(membership, order)
        membership_tier_refresh(membership, now=max(order.at, timezone.now()), nightly=False)
        return entry


def _referral_bonuses(membership: Membership, order: OrderFact) -> None:
    """Both the referred member and their referrer earn the referral bonus on the first order."""
    assert membership.referred_by_id is not None
    bonus_rule_award(
        membership, event=EarningRule.Event.REFERRAL, reference="referred", at=order.at,
        order_id=order.order_id, source=PointsEntry.Source.REFERRAL,
    )  # fmt: skip
    referrer = membership_lock(membership.referred_by_id)
    bonus_rule_award(
        referrer, event=EarningRule.Event.REFERRAL, reference=f"referrer-{membership.pk}",
        at=order.at, order_id=order.order_id, source=PointsEntry.Source.REFERRAL,
    )  # fmt: skip


@dataclass(frozen=True)
class RefundShare:
    """A refund of part of an order (minor units): refunded so far before and after it, of
    the order's total. The share reversed is what the cumulative refund adds."""

    before_minor: int
    after_minor: int
    total_minor: int

    def part(self, amount: int) -> int:
        """What this refund takes back of `amount`: floor(amount × after / total) −
        floor(amount × before / total), so the parts of successive refunds add up exactly
        to `amount` when the order is refunded in full."""
        total = max(1, self.total_minor)
        after = min(self.after_minor, total)
        before = min(max(0, self.before_minor), after)
        return amount * after // total - amount * before // total

    @property
    def full(self) -> bool:
        return self.after_minor >= self.total_minor


def order_points_reverse(
    *, order_id: int, reason: str, at: datetime | None = None, refund: RefundShare | None = None
) -> int:
    """Take back what an order earned, its own lot first; returns the points reversed.

    Without `refund` (a cancellation, a full refund) all of it that is not reversed yet: its
    points and the referral bonuses it triggered. With `refund` (order.refunded carries the
    amount and the cumulative refunded_minor) the refund's share of the order's points, tier
    points and spend (see RefundShare.part); the referral bonuses go only with the refund that
    completes it. Each reversal is written once (its key names the entry and the cumulative
    refund), so a redelivered event reverses nothing more. Points already spent cannot be taken
    back below 0: the reversal then takes what is left (the tier points go back in full)."""
    at = at or timezone.now()
    reversed_points = 0
    with transaction.atomic():
        earned = list(
            PointsEntry.objects.filter(order_id=order_id, points__gt=0)
            .exclude(source=PointsEntry.Source.REVERSAL)
            .annotate(
                back=Coalesce(Sum("reversals__points"), 0),
                tier_back=Coalesce(Sum("reversals__tier_points"), 0),
                spend_back=Coalesce(Sum("reversals__spend_minor"), 0),
            )
            .order_by("membership_id", "id")
        )
        for entry in earned:
            base_key = entry.source_key or str(entry.pk)
            if refund is not None and (entry.source == PointsEntry.Source.ORDER or refund.full):
                if entry.source == PointsEntry.Source.ORDER:
                    wanted = (refund.part(entry.points), refund.part(entry.tier_points),
                              refund.part(entry.spend_minor))  # fmt: skip
                else:  # a referral bonus, with the refund that completes the order's
                    wanted = (entry.points, entry.tier_points, entry.spend_minor)
                key = f"{base_key}:refund:{refund.after_minor}"
            elif refund is None:
                wanted = (entry.points, entry.tier_points, entry.spend_minor)
                key = f"{base_key}:reversal"
            else:
                continue
            # Never more than what is still unreversed of the entry (a cancellation after
            # partial refunds takes the rest).
            points = min(wanted[0], entry.points + entry.back)
            tier_points = min(wanted[1], entry.tier_points + entry.tier_back)
            spend = min(wanted[2], entry.spend_minor + entry.spend_back)
            if points <= 0 and tier_points <= 0 and spend <= 0:
                continue
            membership = membership_lock(entry.membership_id)
            points = max(0, min(points, membership.balance))
            _reversal, created = entry_append(
                membership, source=PointsEntry.Source.REVERSAL, points=-points, at=at, key=key,
                order_id=order_id, spend_minor=-max(0, spend), tier_points=-max(0, tier_points),
                reason=reason, reverses=entry, lot_first=entry.pk,
            )  # fmt: skip
            if created:
                reversed_points += points
    return reversed_points


# --- the event handlers (registered in LoyaltyConfig.ready) -----------------------------------


def on_order_created(event: DomainEvent) -> None:
    payload = event.payload or {}
    if payload.get("status", "paid") not in EARNING_STATUSES:
        return
    order = order_fact_from_event(event)
    if order is not None and order.order_id:
        order_points_earn(order)


def refund_share_from_event(event: DomainEvent) -> RefundShare | None:
    """The refund an order.refunded event reports; None for a cancellation or an event of
    before partial refunds (no amounts: the whole order is reversed)."""
    payload: dict[str, Any] = event.payload or {}
    try:
        amount = int(payload["amount_minor"])
        after = int(payload["refunded_minor"])
        total = int(payload["total_minor"])
    except (KeyError, TypeError, ValueError):
        return None
    if total <= 0:
        return None
    return RefundShare(before_minor=after - amount, after_minor=after, total_minor=total)


def on_order_undone(event: DomainEvent) -> None:
    if not event.object_id:
        return
    if event.name == "order.cancelled":
        order_points_reverse(order_id=int(event.object_id), reason=str(_("Order cancelled")))
        return
    refund = refund_share_from_event(event)
    reason = _("Order refunded") if refund is None or refund.full else _("Order partly refunded")
    order_points_reverse(order_id=int(event.object_id), reason=str(reason), refund=refund)
