"""Shared fixtures: three teams' worth of users with the default roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from kith.identity.models import Team, User
from kith.identity.services import (
    api_token_create,
    roles_ensure_defaults,
    team_create,
    user_create,
)

PASSWORD = "correct-horse-battery-42"

# Property tests check behaviour, not speed; a busy 2-core CI machine must not fail them on time.
hypothesis_settings.register_profile("kith", deadline=None)
hypothesis_settings.load_profile("kith")


@dataclass
class Teams:
    a: Team
    b: Team


@dataclass
class Users:
    admin: User
    manager: User
    rep_a: User
    rep_a2: User
    rep_b: User


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2's deliberate slowness would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def teams(db) -> Teams:
    roles_ensure_defaults()
    return Teams(a=team_create(name="Team A"), b=team_create(name="Team B"))


@pytest.fixture
def users(teams: Teams) -> Users:
    return Users(
        admin=user_create(
            username="admin", password=PASSWORD, role_slug="admin", is_superuser=True
        ),
        manager=user_create(
            username="manager", password=PASSWORD, role_slug="manager", team=teams.a
        ),
        rep_a=user_create(username="rep_a", password=PASSWORD, team=teams.a, first_name="Ann"),
        rep_a2=user_create(username="rep_a2", password=PASSWORD, team=teams.a),
        rep_b=user_create(username="rep_b", password=PASSWORD, team=teams.b, first_name="Bảo"),
    )


@pytest.fixture
def api_for(db) -> Callable[[User], Client]:
    """A Django test client that authenticates every request with a fresh API token of `user`."""

    def make(user: User) -> Client:
        _token, secret = api_token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make
