"""The web layer's own tests (every page, languages, CSV export) read English pages unless a
test switches language. Clients, users and `records` are in tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(english) -> None:
    """Every test here renders pages: English, as tests/conftest.py's `english` sets it."""
