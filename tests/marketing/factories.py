"""Marketing test data made through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kith.customers.services import consent_set
from kith.insights.models import CustomerScore
from kith.marketing.services import segments
from kith.sales.services.orders import LineInput, order_create
from tests.sales.factories import make_product


def make_segment(*, by: Any, rules: Any = None, kind: str = "dynamic", name: str = "Segment"):
    return segments.segment_create(by=by, name=name, kind=kind, rules=rules)


def grant(
    contact: Any, channel: str = "email", purpose: str = "marketing", status: str = "granted"
):
    return consent_set(contact=contact, channel=channel, purpose=purpose, status=status)


def buy(*, by: Any, contact: Any, price_minor: int = 5000, days_ago: int = 3, sku: str = "SKU-1"):
    from kith.sales.models import Product

    product = Product.objects.filter(sku=sku).first() or make_product(by=by, sku=sku)
    return order_create(
        by=by,
        contact_id=contact.pk,
        lines=[LineInput(product_id=product.pk, quantity=1, unit_price_minor=price_minor)],
        ordered_at=timezone.now() - timedelta(days=days_ago),
    )


def score(contact: Any, **values: Any) -> CustomerScore:
    return CustomerScore.objects.create(contact=contact, scored_at=timezone.now(), **values)
