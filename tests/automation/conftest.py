"""Fixtures of the automation tests: a loopback HTTP receiver that webhooks may reach."""

from __future__ import annotations

import pytest

from tests.loopback import HttpReceiver


@pytest.fixture
def receiver(settings):
    """A loopback HTTP receiver; loopback is allowed explicitly for webhooks (SSRF guard)."""
    settings.KITH_WEBHOOKS_ALLOW_PRIVATE = "127.0.0.1/32"
    server = HttpReceiver()
    yield server
    server.stop()
