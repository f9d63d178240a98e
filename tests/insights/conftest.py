"""Fixtures of the insights tests: signed-in web and API clients, English pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from kith.identity import services as identity


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def web_for(db) -> Callable[..., Client]:
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for(db) -> Callable[..., Client]:
    def make(user) -> Client:
        _token, secret = identity.api_token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make
