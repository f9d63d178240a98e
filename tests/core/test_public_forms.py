"""The one guard of every public form: honeypot, per-address rate limit, hashed addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.core.models import PublicFormPost
from kith.core.public_forms import (
    RateLimited,
    public_address_hash,
    public_form_guard,
    public_form_posts_prune,
)

pytestmark = pytest.mark.django_db


def guard(address: str = "203.0.113.9", form: str = "sales.webform", **kwargs):
    return public_form_guard(
        form=form, request_address=address, honeypot=kwargs.pop("honeypot", ""), rate=2,
        window=600, **kwargs,
    )  # fmt: skip


def test_rate_limit_counts_per_form_and_address_within_the_window():
    assert guard() is True
    assert guard() is True
    with pytest.raises(RateLimited) as caught:
        guard()
    assert list(caught.value.errors) == ["__all__"]
    assert guard(address="203.0.113.10") is True  # another address
    assert guard(form="service.support") is True  # another form's limit
    later = timezone.now() + timedelta(seconds=601)
    assert guard(now=later) is True  # the window has passed


def test_a_honeypot_post_counts_but_is_not_taken():
    assert guard(honeypot="http://spam.example") is False
    assert PublicFormPost.objects.count() == 1


def test_addresses_are_stored_only_hashed_and_pruned():
    guard()
    row = PublicFormPost.objects.get()
    assert row.address_hash == public_address_hash("203.0.113.9")
    assert "203.0.113.9" not in row.address_hash and len(row.address_hash) == 64
    PublicFormPost.objects.update(at=timezone.now() - timedelta(days=2))
    guard(address="198.51.100.1")
    assert public_form_posts_prune() == 1
    assert PublicFormPost.objects.count() == 1
