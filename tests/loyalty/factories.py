"""Loyalty factories: a programme with tiers, rules and rewards, made by the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kith.loyalty import services
from kith.loyalty.models import Programme, Reward, Tier


@dataclass
class Scheme:
    programme: Programme
    bronze: Tier
    silver: Tier
    gold: Tier
    voucher: Reward  # 100 points
    upgrade: Reward  # Gold, 300 points


def make_programme(*, by: Any, **kwargs: Any) -> Scheme:
    """USD, 1 point per dollar, tiers at 0 / 200 / 1000 points (100 / 150 / 200 %)."""
    values: dict[str, Any] = {"name": "Rewards", "currency": "USD", "grace_days": 30}
    values.update(kwargs)
    programme = services.programme_create(by=by, **values)
    tiers = [
        services.tier_create(
            by=by,
            programme_id=programme.pk,
            name=name,
            position=i,
            threshold=threshold,
            multiplier_percent=multiplier,
        )
        for i, (name, threshold, multiplier) in enumerate(
            (("Bronze", 0, 100), ("Silver", 200, 150), ("Gold", 1000, 200))
        )
    ]
    voucher = services.reward_create(
        by=by, programme_id=programme.pk, name="$5 off", kind="voucher", cost_points=100,
        value_minor=500, valid_days=30,
    )  # fmt: skip
    upgrade = services.reward_create(
        by=by, programme_id=programme.pk, name="Gold", kind="tier", cost_points=300,
        tier_id=tiers[2].pk, valid_days=60,
    )  # fmt: skip
    return Scheme(programme, *tiers, voucher, upgrade)


def order_fact(
    *,
    order_id: int,
    contact_id: int,
    total_minor: int,
    at: datetime,
    currency: str = "USD",
    lines: tuple[services.OrderLineFact, ...] = (),
) -> services.OrderFact:
    return services.OrderFact(
        order_id=order_id, contact_id=contact_id, currency=currency, total_minor=total_minor,
        at=at, lines=lines,
    )  # fmt: skip
