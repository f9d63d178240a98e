"""Fixtures for engagement tests: signed-in web clients and contacts of team A and team B."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from kith.customers.models import Contact
from tests.factories import make_company, make_contact


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def web_client(db) -> Callable[..., Client]:
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def contact_a(users) -> Contact:
    company = make_company(by=users.rep_a, name="Hoa Sen Trading")
    return make_contact(
        by=users.rep_a, full_name="Lan Pham", emails=["lan@example.com"], company_id=company.pk
    )


@pytest.fixture
def contact_b(users) -> Contact:
    return make_contact(by=users.rep_b, full_name="Bảo Trần", emails=["bao@example.com"])
