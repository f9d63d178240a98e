"""Automation's part of a person's personal data (kith.core.doors): the rule runs and webhook
deliveries about their records, and the inbound webhook bodies that created them (those hold
what a third party posted: names, emails, messages).

Event payloads, and so delivery bodies and run payloads, hold ids and codes only
(kith.core.events), so erasing keeps them as the log of what happened; the run steps' details
and the inbound bodies are erased."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from kith.automation.models import Delivery, InboundBody, RuleRun, RuleRunStep
from kith.core.personal_data import ERASED, rows_json
from kith.engagement.models import Interaction
from kith.sales.models import Lead
from kith.service.models import Ticket


def _records(contact_id: int) -> list[tuple[str, int]]:
    """(model label, id) of the contact and of the records automation may have acted on for
    them: the leads that became them, their interactions and tickets."""
    records = [("customers.contact", contact_id)]
    for label, model in (
        ("sales.lead", Lead),
        ("engagement.interaction", Interaction),
        ("service.ticket", Ticket),
    ):
        ids = model.objects.filter(contact_id=contact_id).values_list("pk", flat=True)
        records += [(label, pk) for pk in ids]
    return records


def _about(records: list[tuple[str, int]], model_field: str, id_field: str) -> Q:
    by_model: dict[str, list[int]] = {}
    for label, pk in records:
        by_model.setdefault(label, []).append(pk)
    query = Q(pk__in=[])
    for label, ids in by_model.items():
        query |= Q(**{model_field: label, f"{id_field}__in": ids})
    return query


def _export(records: list[tuple[str, int]]) -> dict[str, Any]:
    runs = RuleRun.objects.filter(_about(records, "record_model", "record_id")).order_by("pk")
    keys = [f"{label}:{pk}" for label, pk in records]
    return {
        "rule_runs": rows_json(runs),
        "rule_run_steps": rows_json(RuleRunStep.objects.filter(run__in=runs).order_by("pk")),
        "webhook_deliveries": rows_json(
            Delivery.objects.filter(record_key__in=keys).order_by("pk")
        ),
        "inbound_bodies": rows_json(
            InboundBody.objects.filter(_about(records, "record_model", "record_id")).order_by("pk")
        ),
    }


def _erase(records: list[tuple[str, int]]) -> dict[str, int]:
    runs = RuleRun.objects.filter(_about(records, "record_model", "record_id"))
    return {
        "rule_run_steps": RuleRunStep.objects.filter(run__in=runs)
        .exclude(detail="")
        .update(detail=ERASED),
        "rule_runs": runs.exclude(error="").update(error=ERASED),
        "inbound_bodies": InboundBody.objects.filter(
            _about(records, "record_model", "record_id")
        ).update(body=ERASED, error=""),
    }


def export(contact_id: int) -> dict[str, Any]:
    return _export(_records(contact_id))


def erase(contact_id: int) -> dict[str, int]:
    """Erase run step details, run errors and inbound bodies about the contact's records."""
    return _erase(_records(contact_id))


def lead_export(lead_id: int) -> dict[str, Any]:
    return _export([("sales.lead", lead_id)])


def lead_erase(lead_id: int) -> dict[str, int]:
    """The same for a lead that never became a contact."""
    return _erase([("sales.lead", lead_id)])
