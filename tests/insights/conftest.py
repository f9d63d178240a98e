"""Fixtures of the insights tests: the small demo loaded once a module, English pages (clients
and users are in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(english) -> None:
    """Insights tests read English pages and labels (tests/conftest.py `english`)."""


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
