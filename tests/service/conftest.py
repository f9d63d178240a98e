"""Fixtures of the service tests."""

from __future__ import annotations

import pytest

from tests.service.factories import Desk, make_desk


@pytest.fixture
def desk(users) -> Desk:
    return make_desk(by=users.admin)
