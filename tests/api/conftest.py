"""Fixtures for the API tests: HTTP clients authenticated as the shared `users` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from kith.identity import services as identity


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every test creates users; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for(db) -> Callable[..., Client]:
    """A Django test client that authenticates every request with a fresh API token of `user`."""

    def make(user) -> Client:
        _token, secret = identity.api_token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


@pytest.fixture
def rep_a_api(client_for, users) -> Client:
    return client_for(users.rep_a)
