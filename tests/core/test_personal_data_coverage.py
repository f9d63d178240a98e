"""Every app that holds personal data answers for it: a model with a ForeignKey to a contact
or a lead, or a generic link to any record (record_model/record_id, which can point at a
contact or a lead), belongs to an app that declares a personal-data handler naming that model;
an app with generic links (or a lead link) also answers for leads that never became a contact."""

from __future__ import annotations

import inspect

from django.apps import apps
from django.db import models

from kith.core.doors import personal_data_handlers

PERSON = {"customers.Contact", "sales.Lead"}
# Generic links that hold no data about a person (who follows a record; event log rows hold
# ids only, see kith.core.events; history is erased by each app through history_erase).
NOT_PERSONAL = {"engagement.Follow", "core.DomainEvent", "core.ChangeRecord"}


def _links_a_person(model: type[models.Model]) -> bool:
    fields = model._meta.concrete_fields
    names = {f.name for f in fields}
    fk = any(
        isinstance(f, models.ForeignKey) and f.related_model._meta.label in PERSON for f in fields
    )
    return fk or {"record_model", "record_id"} <= names


def test_every_app_holding_personal_data_has_a_handler_naming_each_model():
    handlers = personal_data_handlers()
    sources: dict[str, str] = {}
    for path, handler in handlers.items():
        app = path.rsplit(".", 1)[0]  # "kith.sales"
        sources[app] = sources.get(app, "") + inspect.getsource(handler)  # type: ignore[arg-type]
    missing = []
    no_lead_part = set()
    for model in apps.get_models():
        label = model._meta.label
        if not model.__module__.startswith("kith."):
            continue
        if label in NOT_PERSONAL or label in PERSON or not _links_a_person(model):
            continue
        app_name = apps.get_app_config(model._meta.app_label).name
        source = sources.get(app_name, "")
        if model.__name__ not in source:
            missing.append(label)
        names = {f.name for f in model._meta.concrete_fields}
        if {"record_model", "record_id"} <= names and "def lead_erase" not in source:
            no_lead_part.add(app_name)
    assert missing == [], f"personal data without a handler: {missing}"
    assert no_lead_part == set(), f"no lead_export/lead_erase in: {no_lead_part}"
    # Sales holds the leads themselves: it must answer for them too.
    assert "def lead_erase" in sources["kith.sales"]


def test_every_handler_exports_and_erases_a_contact_with_nothing(records):
    for path, handler in personal_data_handlers().items():
        assert isinstance(handler.export(records.contact_b.pk), dict), path
        counts = handler.erase(records.contact_b.pk)
        assert all(isinstance(n, int) for n in counts.values()), path
