"""Helpers for intake tests: files in the encodings and formats users upload, table snapshots."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.apps import apps
from django.core import serializers
from django.db import connection

from kith.identity.models import User
from kith.intake.imports import import_create
from kith.intake.models import ImportJob


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def make_import(*, by: User, rows: list[list[str]], **kwargs: Any) -> ImportJob:
    return import_create(
        by=by,
        kind=kwargs.pop("kind", "contacts"),
        filename=kwargs.pop("filename", "people.csv"),
        content=csv_bytes(rows),
        **kwargs,
    )


# Tables whose rows an undo must give back exactly (intake's own bookkeeping excluded).
SNAPSHOT_APPS = ("customers", "core", "sales", "engagement", "service")
# The outbox is a log of what happened (the import, then its undo), not data an undo restores.
OUTBOX_MODELS = ("core.domainevent", "core.eventdelivery")


def database_snapshot() -> dict[str, list[dict]]:
    """Every row of every model in SNAPSHOT_APPS (with M2M links), serialised."""
    snapshot = {}
    tables = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in SNAPSHOT_APPS or model._meta.db_table not in tables:
            continue
        if model._meta.label_lower in OUTBOX_MODELS:
            continue
        rows = serializers.serialize("python", model._base_manager.order_by("pk"))
        snapshot[model._meta.label_lower] = rows
    return snapshot
