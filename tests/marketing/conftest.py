"""Fixtures of the marketing tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.customers.models import Consent, Contact, ContactPoint
from kith.marketing.services.templates import template_create


@pytest.fixture(autouse=True)
def _english(english) -> None:
    """Messages in English unless a test switches language."""


TEXT = (
    'Hello {{ first_name|default:"friend" }},\n'
    "{% if last_order %}Thanks for order {{ last_order.number }}.{% endif %}\n"
    "Unsubscribe: {{ unsubscribe_url }}"
)


@pytest.fixture
def template(users):
    return template_create(
        by=users.admin,
        name="Spring sale",
        versions={
            "en": {
                "subject": "Spring sale for {{ first_name }}",
                "html": '<html><body><p>Hello {{ first_name }}</p><a href="https://shop.example/spring?a=1&amp;b=2">Shop</a>'
                '<a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>',
                "text": TEXT,
            },
            "vi": {
                "subject": "Khuyến mãi mùa xuân {{ first_name }}",
                "text": "Xin chào {{ first_name }}",
            },
            "zh-hans": {"subject": "春季促销 {{ first_name }}", "text": "你好 {{ first_name }}"},
        },
    )


def bulk_contacts(owner, count: int, *, consent: bool = True, prefix: str = "p") -> list[Contact]:
    """`count` contacts of `owner` with an email and (when `consent`) email marketing consent,
    written in bulk: the delivery tests need thousands, the services make one at a time."""
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                full_name=f"Person {prefix}{n}",
                first_name=f"P{n}",
                primary_email=f"{prefix}{n}@example.com",
                owner=owner,
                team_id=owner.team_id,
                sort_name=f"person {prefix}{n:06d}",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    ContactPoint.objects.bulk_create(
        [
            ContactPoint(contact=c, kind="email", value=c.primary_email, is_primary=True)
            for c in contacts
        ],
        batch_size=1000,
    )
    if consent:
        at = timezone.now() - timedelta(days=1)
        Consent.objects.bulk_create(
            [
                Consent(contact=c, channel="email", purpose="marketing", status="granted", at=at)
                for c in contacts
            ],
            batch_size=1000,
        )
    return contacts
