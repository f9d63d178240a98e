"""Fixtures of the engagement tests: contacts of team A and team B (clients and users are in
tests/conftest.py)."""

from __future__ import annotations

import pytest

from kith.customers.models import Contact
from tests.factories import make_company, make_contact


@pytest.fixture(autouse=True)
def _english(english) -> None:
    """Engagement tests read English pages, mail and messages (tests/conftest.py `english`)."""


@pytest.fixture
def contact_a(users) -> Contact:
    company = make_company(by=users.rep_a, name="Hoa Sen Trading")
    return make_contact(
        by=users.rep_a, full_name="Lan Pham", emails=["lan@example.com"], company_id=company.pk
    )


@pytest.fixture
def contact_b(users) -> Contact:
    return make_contact(by=users.rep_b, full_name="Bảo Trần", emails=["bao@example.com"])
