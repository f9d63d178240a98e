"""Fixtures for the web UI tests: signed-in clients for the shared `users`, and a few records in
team A and team B made through the services (tests/factories.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from kith.customers.models import Company, Contact
from tests.factories import make_company, make_contact


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every test creates users; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english(settings):
    # Pages render in English unless a test switches language; no browser header decides.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def client_for(db) -> Callable[..., Client]:
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@dataclass
class Records:
    company_a: Company
    company_b: Company
    contact_a: Contact  # team A, owned by rep_a
    contact_b: Contact  # team B, owned by rep_b


@pytest.fixture
def records(users) -> Records:
    company_a = make_company(by=users.rep_a, name="Hoa Sen Trading", domain="hoasen.vn")
    company_b = make_company(by=users.rep_b, name="Bắc Giang Logistics")
    contact_a = make_contact(
        by=users.rep_a,
        full_name="王伟明",
        first_name="伟明",
        last_name="王",
        title="Purchasing manager",
        company_id=company_a.pk,
        emails=["wang.weiming@example.cn"],
        phones=["+86 138 0013 8000"],
        tags=["vip"],
    )
    contact_b = make_contact(
        by=users.rep_b,
        full_name="Trần Thị Bình",
        first_name="Bình",
        last_name="Trần",
        company_id=company_b.pk,
        emails=["binh.tran@example.vn"],
    )
    return Records(
        company_a=company_a, company_b=company_b, contact_a=contact_a, contact_b=contact_b
    )
