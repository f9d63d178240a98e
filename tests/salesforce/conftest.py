"""Fixtures of the sales force tests (quotas, forecasts, win probability)."""

from __future__ import annotations

import pytest

from tests.sales.factories import Funnel, make_pipeline


@pytest.fixture
def funnel(users) -> Funnel:
    return make_pipeline(by=users.admin)
