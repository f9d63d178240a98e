"""Inbound webhooks: a source has a secret URL (/hooks/in/<token>/) and a saved field mapping
{target field: dotted path into the JSON body}; each body becomes a lead, an interaction or a
ticket through that app's service, as the source's owner (so the permission gate applies).

Every body is kept (InboundBody): a refused one with its reason, so an admin can fix the
mapping and retry it (`inbound_body_retry`). A body that is not JSON, is too large or lacks a
mapped field is a 4xx with the reason; nothing is half-written (one transaction per body).
An accepted body records the event "automation.inbound_received" {source_id, record_model,
record_id}, which rules may trigger on.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.automation.models import InboundBody, InboundSource
from kith.core.errors import FieldError, KithError, NotFound
from kith.core.events import event_record
from kith.core.validation import text_clean
from kith.engagement import services as engagement
from kith.identity.access import admin_require
from kith.identity.models import User
from kith.sales import services as sales
from kith.service import services as service

MAX_BODY = 256 * 1024

# The fields each target takes from a body, and which of them must be there.
TARGET_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "lead": (
        frozenset(
            {"full_name", "email", "phone", "company_name", "website", "message", "campaign"}
        ),
        frozenset({"full_name"}),
    ),
    "ticket": (
        frozenset({"subject", "description", "priority", "category", "contact_id"}),
        frozenset({"subject"}),
    ),
    "interaction": (
        frozenset({"kind", "subject", "body", "contact_id", "direction", "channel"}),
        frozenset({"kind", "contact_id"}),
    ),
}


@dataclass(frozen=True)
class InboundResult:
    status: int  # the HTTP status to answer with
    body: dict[str, Any]


def _mapping_check(target: str, mapping: Any, errors: dict[str, str]) -> dict[str, str]:
    if target not in TARGET_FIELDS:
        errors["target"] = _("Choose a lead, an interaction or a ticket.")
        return {}
    if not isinstance(mapping, Mapping) or not mapping:
        errors["mapping"] = _('Map at least one field, e.g. {"full_name": "customer.name"}.')
        return {}
    allowed, required = TARGET_FIELDS[target]
    unknown = sorted(set(mapping) - allowed)
    missing = sorted(required - set(mapping))
    if unknown:
        errors["mapping"] = _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}
    elif missing:
        errors["mapping"] = _("Map these fields too: %(names)s.") % {"names": ", ".join(missing)}
    elif not all(isinstance(path, str) and path for path in mapping.values()):
        errors["mapping"] = _("Each field maps to a path in the body, like customer.email.")
    return {str(key): str(value) for key, value in mapping.items()}


def inbound_source_create(
    *, by: User, name: str, target: str, mapping: Mapping[str, str], owner_id: int | None = None
) -> InboundSource:
    """A source whose bodies become `target` records, acting as `owner_id` (default: `by`)."""
    admin_require(by)
    errors: dict[str, str] = {}
    clean_name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    clean_mapping = _mapping_check(target, mapping, errors)
    owner = User.objects.filter(pk=owner_id or by.pk, is_active=True).first()
    if owner is None:
        errors["owner_id"] = _("Choose an active user to act as.")
    if errors or owner is None:
        raise FieldError(errors)
    return InboundSource.objects.create(
        name=clean_name,
        target=target,
        mapping=clean_mapping,
        owner=owner,
        token=secrets.token_urlsafe(24),
    )


def inbound_source_update(*, by: User, source_id: int, **changes: Any) -> InboundSource:
    """Change the name, mapping or active flag of a source."""
    admin_require(by)
    source = InboundSource.objects.filter(pk=source_id).first()
    if source is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    if "name" in changes:
        source.name = text_clean(
            changes["name"], field="name", limit=120, errors=errors, required=True
        )
    if "mapping" in changes:
        source.mapping = _mapping_check(source.target, changes["mapping"], errors)
    if "is_active" in changes:
        source.is_active = bool(changes["is_active"])
    if errors:
        raise FieldError(errors)
    source.save()
    return source


def _path_get(document: Any, path: str) -> Any:
    value = document
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _lead(owner: User, values: dict[str, Any]) -> Any:
    return sales.lead_create(by=owner, source_channel="api", **values)


def _ticket(owner: User, values: dict[str, Any]) -> Any:
    return service.ticket_create(by=owner, channel="api", **values)


def _interaction(owner: User, values: dict[str, Any]) -> Any:
    contact_id = values.pop("contact_id")
    return engagement.interaction_create(by=owner, contact=contact_id, **values)


CREATORS: dict[str, Callable[[User, dict[str, Any]], Any]] = {
    "lead": _lead,
    "ticket": _ticket,
    "interaction": _interaction,
}


def _process(source: InboundSource, document: Any) -> Any:
    """Create the source's record from `document`; FieldError naming the body's path."""
    if not isinstance(document, Mapping):
        raise FieldError.one("body", _("The body must be a JSON object."))
    _allowed, required = TARGET_FIELDS[source.target]
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, path in source.mapping.items():
        value = _path_get(document, path)
        if value is None or value == "":
            if field in required:
                errors[path] = _("Missing; it fills “%(field)s”.") % {"field": field}
            continue
        if isinstance(value, (dict, list)):
            errors[path] = _("Expected a text or a number, not a list or an object.")
            continue
        values[field] = value if field == "contact_id" else str(value)
    if errors:
        raise FieldError(errors)
    try:
        return CREATORS[source.target](source.owner, values)
    except FieldError as error:
        # Name the body's path that fed the refused field, where there is one.
        raise FieldError(
            {source.mapping.get(key, key): message for key, message in error.errors.items()}
        ) from error


def _attempt(source: InboundSource, body: InboundBody) -> InboundResult:
    try:
        document = json.loads(body.body)
    except ValueError as error:
        reason = _("The body is not valid JSON: %(error)s") % {"error": error}
        body.status, body.error = InboundBody.Status.REFUSED, reason[:500]
        body.save()
        return InboundResult(400, {"error": reason})
    try:
        with transaction.atomic():
            record = _process(source, document)
            body.status, body.error = InboundBody.Status.DONE, ""
            body.record_model, body.record_id = record._meta.label_lower, record.pk
            body.save()
            event_record(
                name="automation.inbound_received",
                record=body,
                actor=source.owner,
                payload={
                    "source_id": source.pk,
                    "record_model": body.record_model,
                    "record_id": body.record_id,
                },
            )
    except KithError as error:
        errors = error.errors if isinstance(error, FieldError) else {"body": str(error)}
        body.status = InboundBody.Status.REFUSED
        body.error = "; ".join(f"{key}: {value}" for key, value in errors.items())[:500]
        body.save()
        return InboundResult(422, {"error": _("The body was refused."), "fields": errors})
    return InboundResult(
        201, {"id": body.pk, "record": {"model": body.record_model, "id": body.record_id}}
    )


def inbound_receive(*, token: str, raw: bytes) -> InboundResult:
    """Turn a body POSTed to a source's secret URL into its record; the HTTP answer to give.
    404 for an unknown or inactive token, 413 for a body over MAX_BODY, 400 for one that is
    not JSON, 422 for one the mapping or the service refuses (kept for a retry), 201 else."""
    source = (
        InboundSource.objects.select_related("owner").filter(token=token, is_active=True).first()
    )
    if source is None or not token:
        return InboundResult(404, {"error": _("Unknown webhook address.")})
    if len(raw) > MAX_BODY:
        return InboundResult(413, {"error": _("The body is larger than 256 KB.")})
    text = raw.decode("utf-8", errors="replace")
    body = InboundBody.objects.create(source=source, body=text, status=InboundBody.Status.REFUSED)
    return _attempt(source, body)


def inbound_body_retry(*, by: User, body_id: int) -> InboundResult:
    """Process a refused body again (after its source's mapping was fixed)."""
    admin_require(by)
    body = InboundBody.objects.select_related("source__owner").filter(pk=body_id).first()
    if body is None:
        raise NotFound(_("Not found."))
    if body.status == InboundBody.Status.DONE:
        raise FieldError.one("body", _("This body was already turned into a record."))
    return _attempt(body.source, body)


def inbound_bodies_prune(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Drop received bodies (they hold what the sender sent, often personal data) older than
    `older_than`: the records made from them stay."""
    cutoff = timezone.now() - older_than
    return InboundBody.objects.filter(received_at__lt=cutoff).delete()[0]
