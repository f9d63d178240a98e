"""Fixtures for the API tests: teams, users of each role, and HTTP clients signed in as them."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.test import Client

from kith.identity import services as identity

PASSWORD = "quiet-harbour-lantern-42"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every test creates users; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def teams(db):
    return SimpleNamespace(
        a=identity.team_create(name="Team A"), b=identity.team_create(name="Team B")
    )


@pytest.fixture
def users(teams):
    identity.roles_ensure_defaults()
    return SimpleNamespace(
        admin=identity.user_create(
            username="admin", password=PASSWORD, role_slug="admin", is_superuser=True
        ),
        manager=identity.user_create(
            username="manager", password=PASSWORD, role_slug="manager", first_name="Mia"
        ),
        rep_a=identity.user_create(
            username="rep_a",
            password=PASSWORD,
            team=teams.a,
            first_name="Ana",
            last_name="Alves",
        ),
        rep_b=identity.user_create(username="rep_b", password=PASSWORD, team=teams.b),
    )


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
