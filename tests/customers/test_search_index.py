"""The search index survives every migration (on SQLite, one that rebuilds a table drops its
triggers: see kith.customers.search_index)."""

from __future__ import annotations

import pytest
from django.db import connection

from kith.customers.search_index import TABLES, TRIGGER_SUFFIXES


@pytest.mark.django_db
def test_the_search_index_is_in_place_after_all_migrations() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {name for (name,) in cursor.fetchall()}
            wanted = {f"{t}_fts_{s}" for t in TABLES for s in TRIGGER_SUFFIXES}
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_search_trgm'")
            triggers = {name for (name,) in cursor.fetchall()}
            wanted = {f"{t}_search_trgm" for t in TABLES}
    assert wanted <= triggers
