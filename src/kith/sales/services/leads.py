"""Writes of leads: create, update (history of each change), delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.events import change_event_record
from kith.core.text import clean
from kith.core.validation import choice_check, text_clean, unknown_fields_check, version_check
from kith.customers.normalise import domain_normalise, email_normalise, phone_normalise
from kith.identity.access import for_write, owner_resolve, require
from kith.identity.models import User
from kith.sales.models import Channel, Lead

LEAD_FIELDS = frozenset(
    {
        "full_name", "email", "phone", "company_name", "website", "message", "source_channel",
        "campaign", "status", "disqualified_reason", "owner_id",
    }
)  # fmt: skip


def _lead_snapshot(lead: Lead) -> dict[str, str]:
    return {
        "full_name": lead.full_name,
        "email": lead.email,
        "phone": lead.phone,
        "company_name": lead.company_name,
        "website": lead.website,
        "source_channel": lead.source_channel,
        "campaign": lead.campaign,
        "status": lead.status,
        "disqualified_reason": lead.disqualified_reason,
        "owner": str(lead.owner) if lead.owner_id else "",
    }


def _lead_apply(lead: Lead, changes: Mapping[str, Any], errors: dict[str, str]) -> None:
    """Validate and set lead fields (not owner); problems go into `errors`."""
    _lead_text_apply(lead, changes, errors)
    _lead_points_apply(lead, changes, errors)
    _lead_status_apply(lead, changes, errors)


def _lead_text_apply(lead: Lead, changes: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "full_name" in changes:
        lead.full_name = text_clean(
            changes["full_name"], field="full_name", limit=200, errors=errors, required=True
        )
    for name, limit in (("company_name", 200), ("campaign", 120), ("disqualified_reason", 200)):
        if name in changes:
            setattr(lead, name, text_clean(changes[name], field=name, limit=limit, errors=errors))
    if "message" in changes:
        lead.message = text_clean(changes["message"], field="message", limit=5000, errors=errors)


def _lead_points_apply(lead: Lead, changes: Mapping[str, Any], errors: dict[str, str]) -> None:
    """Email, phone and website, normalised as customers store them."""
    if "email" in changes:
        raw = clean(str(changes["email"] or ""))
        try:
            lead.email = email_normalise(raw) if raw else ""
        except ValueError as exc:
            errors["email"] = str(exc)
    if "phone" in changes:
        raw = clean(str(changes["phone"] or ""))
        try:
            lead.phone = phone_normalise(raw) if raw else ""
        except ValueError as exc:
            errors["phone"] = str(exc)
    if "website" in changes:
        try:
            lead.website = domain_normalise(str(changes["website"] or ""))
        except ValueError as exc:
            errors["website"] = str(exc)


def _lead_status_apply(lead: Lead, changes: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "source_channel" in changes:
        lead.source_channel = str(changes["source_channel"] or "")
        choice_check(lead.source_channel, Channel.values, field="source_channel", errors=errors)
    if "status" in changes:
        status = str(changes["status"] or "")
        if status == Lead.Status.CONVERTED and lead.status != Lead.Status.CONVERTED:
            errors["status"] = _("Convert the lead to mark it converted.")
        else:
            choice_check(status, Lead.Status.values, field="status", errors=errors)
            lead.status = status
    if not lead.full_name and "full_name" not in errors:
        errors["full_name"] = _("This field is required.")
    if lead.status == Lead.Status.DISQUALIFIED and not lead.disqualified_reason:
        errors["disqualified_reason"] = _("Say why the lead is disqualified.")
    if lead.status != Lead.Status.DISQUALIFIED:
        lead.disqualified_reason = ""


@transaction.atomic
def lead_create(
    *,
    by: User,
    full_name: str,
    email: str = "",
    phone: str = "",
    company_name: str = "",
    website: str = "",
    message: str = "",
    source_channel: str = Channel.API,
    campaign: str = "",
    status: str = Lead.Status.NEW,
    disqualified_reason: str = "",
    owner_id: int | None = None,
) -> Lead:
    """Create a lead (owned by `by` unless another assignable owner is named)."""
    require(by, "leads", "create")
    errors: dict[str, str] = {}
    lead = Lead(status=Lead.Status.NEW)
    _lead_apply(
        lead,
        {
            "full_name": full_name, "email": email, "phone": phone, "company_name": company_name,
            "website": website, "message": message, "source_channel": source_channel,
            "campaign": campaign, "status": status, "disqualified_reason": disqualified_reason,
        },
        errors,
    )  # fmt: skip
    owner = owner_resolve(by=by, owner_id=owner_id, module="leads", errors=errors)
    if errors:
        raise FieldError(errors)
    lead.owner, lead.team_id = owner, owner.team_id
    lead.save()
    history = changes_record(instance=lead, actor=by, before=None, after={})
    change_event_record(
        entity="lead", record=lead, actor=by, changes=history,
        payload={"source_channel": lead.source_channel, "form_id": lead.form_id},
    )  # fmt: skip
    return lead


@transaction.atomic
def lead_update(*, by: User, lead_id: int, version: int | None = None, **changes: Any) -> Lead:
    """Change the named fields of a lead; history records each change."""
    unknown_fields_check(changes, LEAD_FIELDS)
    lead = for_write(Lead, module="leads", by=by, pk=lead_id, right="edit")
    version_check(lead, version)
    if lead.status == Lead.Status.CONVERTED:
        raise FieldError.one("status", _("A converted lead cannot be changed."))
    before = _lead_snapshot(lead)
    errors: dict[str, str] = {}
    _lead_apply(lead, changes, errors)
    if "owner_id" in changes:
        owner = owner_resolve(by=by, owner_id=changes["owner_id"], module="leads", errors=errors)
        lead.owner, lead.team_id = owner, owner.team_id
    if errors:
        raise FieldError(errors)
    lead.version += 1
    lead.save()
    history = changes_record(instance=lead, actor=by, before=before, after=_lead_snapshot(lead))
    change_event_record(entity="lead", record=lead, actor=by, changes=history)
    return lead


@transaction.atomic
def lead_delete(*, by: User, lead_id: int) -> None:
    """Delete a lead; its history keeps the last values."""
    lead = for_write(Lead, module="leads", by=by, pk=lead_id, right="delete")
    history = changes_record(instance=lead, actor=by, before=_lead_snapshot(lead), after=None)
    change_event_record(entity="lead", record=lead, actor=by, changes=history)
    lead.delete()


def lead_scores_store(*, scores: Mapping[int, int | None]) -> int:
    """Set each lead's score (its conversion probability in percent, from the lead-scoring job
    in kith.insights) in bulk; returns the leads updated. A system write: the score is derived,
    so it is neither versioned nor in the lead's history (the job's run records the fit)."""
    leads = [Lead(pk=pk, score=score) for pk, score in scores.items()]
    with transaction.atomic():
        Lead.objects.bulk_update(leads, ["score"], batch_size=2000)
    return len(leads)
