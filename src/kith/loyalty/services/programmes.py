"""Setting a programme up: the programme, its tiers, earning rules and rewards."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.validation import choice_check, currency_clean, text_clean
from kith.identity.access import require
from kith.identity.models import User
from kith.loyalty.models import EarningRule, Programme, Reward, Tier


def _whole(
    value: Any, *, field: str, errors: dict[str, str], low: int = 0, high: int = 10**12
) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = _("Enter a whole number.")
        return 0
    if not low <= number <= high:
        errors[field] = _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
    return number


@transaction.atomic
def programme_create(
    *,
    by: User,
    name: str,
    currency: str,
    currency_digits: int = 2,
    points_per_unit: int = 1,
    point_value_minor: Any = "1",
    expiry_months: int = 0,
    daily_limit: int = 0,
    tier_basis: str = Programme.TierBasis.POINTS,
    tier_window_days: int = 365,
    grace_days: int = 30,
) -> Programme:
    """A programme; one active programme per currency (an order's currency picks it)."""
    require(by, "loyalty_programmes", "create")
    errors: dict[str, str] = {}
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    currency = currency_clean(currency, field="currency", errors=errors)
    digits = _whole(currency_digits, field="currency_digits", errors=errors, high=4)
    ppu = _whole(points_per_unit, field="points_per_unit", errors=errors, low=1, high=10**6)
    try:
        value = Decimal(str(point_value_minor))
        if value < 0 or value > 10**7:
            raise InvalidOperation
    except InvalidOperation:
        errors["point_value_minor"] = _("Enter a number of at least 0.")
        value = Decimal(0)
    months = _whole(expiry_months, field="expiry_months", errors=errors, high=240)
    limit = _whole(daily_limit, field="daily_limit", errors=errors, high=10**9)
    choice_check(tier_basis, Programme.TierBasis.values, field="tier_basis", errors=errors)
    window = _whole(tier_window_days, field="tier_window_days", errors=errors, low=1, high=3650)
    grace = _whole(grace_days, field="grace_days", errors=errors, high=3650)
    if not errors and Programme.objects.filter(currency=currency, is_active=True).exists():
        errors["currency"] = _("An active programme in this currency exists already.")
    if errors:
        raise FieldError(errors)
    programme = Programme.objects.create(
        name=name, currency=currency, currency_digits=digits, points_per_unit=ppu,
        point_value_minor=value, expiry_months=months, daily_limit=limit, tier_basis=tier_basis,
        tier_window_days=window, grace_days=grace,
    )  # fmt: skip
    changes_record(instance=programme, actor=by, before=None, after={})
    return programme


@transaction.atomic
def tier_create(
    *,
    by: User,
    programme_id: int,
    name: str,
    position: int,
    threshold: int,
    multiplier_percent: int = 100,
    benefits: str = "",
) -> Tier:
    """A tier reached at `threshold` (points, or spend in minor units, over the window)."""
    require(by, "loyalty_programmes", "edit")
    errors: dict[str, str] = {}
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        errors["programme_id"] = _("This programme does not exist.")
    name = text_clean(name, field="name", limit=80, errors=errors, required=True)
    position = _whole(position, field="position", errors=errors, high=100)
    threshold = _whole(threshold, field="threshold", errors=errors)
    multiplier = _whole(multiplier_percent, field="multiplier_percent", errors=errors, high=10000)
    benefits = text_clean(benefits, field="benefits", limit=2000, errors=errors)
    if programme is not None and not errors:
        siblings = Tier.objects.filter(programme=programme)
        if siblings.filter(position=position).exists():
            errors["position"] = _("Another tier has this position.")
        elif siblings.filter(threshold=threshold).exists():
            errors["threshold"] = _("Another tier has this threshold.")
        elif siblings.filter(position__lt=position, threshold__gt=threshold).exists() or (
            siblings.filter(position__gt=position, threshold__lt=threshold).exists()
        ):
            errors["threshold"] = _("A higher tier needs a higher threshold.")
    if errors:
        raise FieldError(errors)
    assert programme is not None
    return Tier.objects.create(
        programme=programme, name=name, position=position, threshold=threshold,
        multiplier_percent=multiplier, benefits=benefits,
    )  # fmt: skip


@transaction.atomic
def earning_rule_create(
    *,
    by: User,
    programme_id: int,
    kind: str,
    product_id: int | None = None,
    category: str = "",
    event: str = "",
    multiplier_percent: int = 100,
    points: int = 0,
) -> EarningRule:
    """A multiplier for one product's or category's lines, or a bonus for an event."""
    require(by, "loyalty_programmes", "edit")
    errors: dict[str, str] = {}
    if not Programme.objects.filter(pk=programme_id).exists():
        errors["programme_id"] = _("This programme does not exist.")
    choice_check(kind, EarningRule.Kind.values, field="kind", errors=errors)
    category = text_clean(category, field="category", limit=80, errors=errors)
    multiplier = _whole(multiplier_percent, field="multiplier_percent", errors=errors, high=10000)
    bonus = _whole(points, field="points", errors=errors, high=10**9)
    if kind == EarningRule.Kind.PRODUCT and not product_id:
        errors["product_id"] = _("Choose the product.")
    if kind == EarningRule.Kind.CATEGORY and not category:
        errors["category"] = _("Enter the category.")
    if kind == EarningRule.Kind.BONUS:
        choice_check(event, EarningRule.Event.values, field="event", errors=errors)
        if not bonus:
            errors["points"] = _("A bonus needs points.")
    if errors:
        raise FieldError(errors)
    return EarningRule.objects.create(
        programme_id=programme_id, kind=kind,
        product_id=product_id if kind == EarningRule.Kind.PRODUCT else None,
        category=category if kind == EarningRule.Kind.CATEGORY else "",
        event=event if kind == EarningRule.Kind.BONUS else "",
        multiplier_percent=multiplier, points=bonus,
    )  # fmt: skip


@transaction.atomic
def reward_create(
    *,
    by: User,
    programme_id: int,
    name: str,
    kind: str,
    cost_points: int,
    discount_percent: int = 0,
    value_minor: int = 0,
    product_id: int | None = None,
    tier_id: int | None = None,
    valid_days: int = 90,
) -> Reward:
    """A reward of the catalogue."""
    require(by, "loyalty_programmes", "edit")
    errors: dict[str, str] = {}
    if not Programme.objects.filter(pk=programme_id).exists():
        errors["programme_id"] = _("This programme does not exist.")
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    choice_check(kind, Reward.Kind.values, field="kind", errors=errors)
    cost = _whole(cost_points, field="cost_points", errors=errors, low=1, high=10**9)
    percent = _whole(discount_percent, field="discount_percent", errors=errors, high=100)
    value = _whole(value_minor, field="value_minor", errors=errors)
    days = _whole(valid_days, field="valid_days", errors=errors, low=1, high=3650)
    if kind == Reward.Kind.DISCOUNT and not percent:
        errors["discount_percent"] = _("Enter the discount.")
    if kind == Reward.Kind.VOUCHER and not value:
        errors["value_minor"] = _("Enter the voucher's value.")
    if kind == Reward.Kind.FREE_PRODUCT and not product_id:
        errors["product_id"] = _("Choose the product.")
    if kind == Reward.Kind.TIER_UPGRADE and not (
        tier_id and Tier.objects.filter(pk=tier_id, programme_id=programme_id).exists()
    ):
        errors["tier_id"] = _("Choose a tier of this programme.")
    if errors:
        raise FieldError(errors)
    return Reward.objects.create(
        programme_id=programme_id, name=name, kind=kind, cost_points=cost,
        discount_percent=percent, value_minor=value,
        product_id=product_id if kind == Reward.Kind.FREE_PRODUCT else None,
        tier_id=tier_id if kind == Reward.Kind.TIER_UPGRADE else None, valid_days=days,
    )  # fmt: skip
