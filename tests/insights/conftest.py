"""Fixtures of the insights tests: signed-in web and API clients, English pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client


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


def demo_module_fixture():
    """A module-scoped fixture loading the small demo (which scores it) once for a module's
    tests, each of which runs in its own rolled-back transaction; flushed afterwards."""

    @pytest.fixture(scope="module")
    def demo_small(django_db_setup, django_db_blocker):
        from django.core.management import call_command

        from kith.demo.loader import demo_load

        with django_db_blocker.unblock():
            summary = demo_load(size="small")
            yield summary
            call_command("flush", interactive=False, verbosity=0)

    return demo_small
