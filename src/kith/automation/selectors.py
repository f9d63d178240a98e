"""Reads of automation for the API and the web UI, for administrators only (admin_require):
rules with their runs and steps, subscriptions with their deliveries and attempts, inbound
sources with the bodies they received. Lists are keyset-paginated, newest first."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kith.automation.models import (
    Delivery,
    DeliveryAttempt,
    InboundBody,
    InboundSource,
    Rule,
    RuleRun,
    Subscription,
)
from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.identity.access import admin_require
from kith.identity.models import User

NEWEST = Ordering("id", descending=True)


def rules_list(*, user: User) -> list[Rule]:
    """Every rule, by name, with its owner (a short list: no pagination needed beyond 500)."""
    admin_require(user)
    return list(Rule.objects.select_related("owner").order_by("name", "id")[:500])


def rule_get(*, user: User, rule_id: int) -> Rule:
    admin_require(user)
    rule = Rule.objects.select_related("owner", "created_by").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Not found."))
    return rule


def runs_list(
    *, user: User, rule_id: int | None = None, status: str = "", cursor: str | None, limit: int
) -> Page[RuleRun]:
    """Runs (of one rule, or all), newest first, each with its rule."""
    admin_require(user)
    runs: QuerySet[RuleRun] = RuleRun.objects.select_related("rule")
    if rule_id is not None:
        runs = runs.filter(rule_id=rule_id)
    if status:
        runs = runs.filter(status=status)
    return paginate(runs, ordering=NEWEST, cursor=cursor, limit=limit)


def run_get(*, user: User, run_id: int) -> RuleRun:
    """A run with its steps (prefetched)."""
    admin_require(user)
    run = RuleRun.objects.select_related("rule").prefetch_related("steps").filter(pk=run_id)
    found = run.first()
    if found is None:
        raise NotFound(_("Not found."))
    return found


def subscriptions_list(*, user: User) -> list[Subscription]:
    admin_require(user)
    return list(Subscription.objects.order_by("name", "id")[:500])


def subscription_get(*, user: User, subscription_id: int) -> Subscription:
    admin_require(user)
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(_("Not found."))
    return subscription


def deliveries_list(
    *,
    user: User,
    subscription_id: int | None = None,
    status: str = "",
    cursor: str | None,
    limit: int,
) -> Page[Delivery]:
    """The delivery log, newest first, with each delivery's subscription (no body)."""
    admin_require(user)
    deliveries: QuerySet[Delivery] = Delivery.objects.select_related("subscription").defer("body")
    if subscription_id is not None:
        deliveries = deliveries.filter(subscription_id=subscription_id)
    if status:
        deliveries = deliveries.filter(status=status)
    return paginate(deliveries, ordering=NEWEST, cursor=cursor, limit=limit)


def delivery_get(*, user: User, delivery_id: int) -> Delivery:
    admin_require(user)
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(_("Not found."))
    return delivery


def delivery_attempts(*, user: User, delivery_id: int) -> list[DeliveryAttempt]:
    """A delivery's attempts, newest first (at most 100)."""
    admin_require(user)
    return list(
        DeliveryAttempt.objects.filter(delivery_id=delivery_id).order_by("-at", "-id")[:100]
    )


def inbound_sources_list(*, user: User) -> list[InboundSource]:
    admin_require(user)
    return list(InboundSource.objects.select_related("owner").order_by("name", "id")[:500])


def inbound_bodies_list(
    *, user: User, source_id: int, cursor: str | None, limit: int
) -> Page[InboundBody]:
    admin_require(user)
    bodies = InboundBody.objects.filter(source_id=source_id)
    return paginate(bodies, ordering=NEWEST, cursor=cursor, limit=limit)
