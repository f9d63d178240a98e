"""Fixtures for the API tests: HTTP clients authenticated as the shared `users` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every test creates users; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for(api_for) -> Callable[..., Client]:
    """The API tests' name for the shared token client (tests/conftest.py api_for)."""
    return api_for


@pytest.fixture
def rep_a_api(client_for, users) -> Client:
    return client_for(users.rep_a)
