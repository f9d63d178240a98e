"""The records rules act on: their model, the access module that guards them, the service that
changes them, and the merge fields a template may use."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from kith.customers import services as customers
from kith.identity.access import visible_to
from kith.sales import services as sales
from kith.service import services as service


@dataclass(frozen=True)
class RecordKind:
    model: str  # "customers.contact"
    module: str  # the access module, "contacts"
    update: Callable[..., Any] | None  # f(by=, record=, **changes) via the app's service
    fields: frozenset[str]  # what set_field may change
    has_tags: bool = False

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


# Each changes the record the rule just read, at the version it read (a stale one is refused).
def _contact_update(*, by: Any, record: Any, **changes: Any) -> Any:
    return customers.contact_update(by=by, contact_id=record.pk, version=record.version, **changes)


def _company_update(*, by: Any, record: Any, **changes: Any) -> Any:
    return customers.company_update(by=by, company_id=record.pk, version=record.version, **changes)


def _lead_update(*, by: Any, record: Any, **changes: Any) -> Any:
    return sales.lead_update(by=by, lead_id=record.pk, version=record.version, **changes)


def _deal_update(*, by: Any, record: Any, **changes: Any) -> Any:
    return sales.deal_update(by=by, deal_id=record.pk, version=record.version, **changes)


def _ticket_update(*, by: Any, record: Any, **changes: Any) -> Any:
    return service.ticket_update(by=by, ticket_id=record.pk, version=record.version, **changes)


RECORD_KINDS: dict[str, RecordKind] = {
    kind.model: kind
    for kind in (
        RecordKind(
            "customers.contact",
            "contacts",
            _contact_update,
            frozenset({"title", "lifecycle_stage", "source_channel", "company_id"}),
            has_tags=True,
        ),
        RecordKind(
            "customers.company",
            "companies",
            _company_update,
            frozenset({"industry", "size", "domain"}),
            has_tags=True,
        ),
        RecordKind(
            "sales.lead",
            "leads",
            _lead_update,
            frozenset({"status", "campaign", "source_channel", "disqualified_reason"}),
        ),
        RecordKind(
            "sales.deal",
            "deals",
            _deal_update,
            frozenset({"probability", "expected_close", "lost_reason"}),
        ),
        RecordKind("sales.order", "orders", None, frozenset()),
        RecordKind(
            "service.ticket", "tickets", _ticket_update, frozenset({"priority", "category"})
        ),
    )
}


def record_kind(model: str) -> RecordKind | None:
    return RECORD_KINDS.get(model)


def record_load(*, model: str, pk: int | None, user: Any) -> Any:
    """The record, if it exists and `user` may see it; None otherwise (or for no record)."""
    kind = record_kind(model)
    if kind is None or pk is None:
        return None
    queryset = kind.model_class._default_manager.all()
    return visible_to(queryset, user=user, module=kind.module).filter(pk=pk).first()


def record_contact_id(record: Any) -> int | None:
    """The contact a record is about: itself, or its contact_id (orders, tickets, leads)."""
    if record is None:
        return None
    if record._meta.label_lower == "customers.contact":
        return int(record.pk)
    contact_id = getattr(record, "contact_id", None)
    return int(contact_id) if contact_id else None


MERGE_FIELD = re.compile(r"\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}")


def merge_values(record: Any, extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The values a template may name: the record's fields and custom fields ("custom.tier"),
    plus `extra` (e.g. "contact.first_name")."""
    values: dict[str, str] = {}
    if record is not None:
        for field in record._meta.concrete_fields:
            if field.attname in {"custom", "version"}:
                continue
            value = getattr(record, field.attname)
            values[field.attname] = "" if value is None else str(value)
        for key, value in (getattr(record, "custom", None) or {}).items():
            values[f"custom.{key}"] = "" if value is None else str(value)
    for key, value in (extra or {}).items():
        values[key] = "" if value is None else str(value)
    return values


def merge(template: str, values: Mapping[str, str]) -> str:
    """`template` with each {{ name }} replaced by its value ("" when unknown). Plain text, no
    template language: a rule's text cannot run code or reach other data."""
    return MERGE_FIELD.sub(lambda match: values.get(match.group(1), ""), template or "")
