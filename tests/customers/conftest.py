"""Fixtures of the customers tests (clients, users and `records` are in tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def rep_a_api(api_for, users) -> Client:
    """The API client of rep_a (team A), whom most API tests act as."""
    return api_for(users.rep_a)
