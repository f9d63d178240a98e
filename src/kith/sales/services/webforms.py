"""Web-to-lead forms: designing them (administrators) and taking public submissions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, NotFound
from kith.core.events import change_event_record, event_record
from kith.core.public_forms import public_form_guard
from kith.core.validation import choice_check, text_clean
from kith.customers.models import Consent
from kith.customers.selectors import contacts_by_points
from kith.customers.services import consent_set
from kith.identity.access import admin_require
from kith.identity.models import Team, User
from kith.sales.models import Channel, Lead, WebForm
from kith.sales.services.leads import _lead_apply


def _form_apply(form: WebForm, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    form.name = text_clean(
        values.get("name"), field="name", limit=120, errors=errors, required=True
    )
    form.slug = text_clean(
        values.get("slug"), field="slug", limit=60, errors=errors, required=True
    ).lower()
    if form.slug and not all(c.isascii() and (c.isalnum() or c == "-") for c in form.slug):
        errors["slug"] = _("Use lower-case letters, digits and hyphens.")
    elif WebForm.objects.filter(slug=form.slug).exclude(pk=form.pk).exists():
        errors["slug"] = _("Another form uses this address.")
    wanted = list(dict.fromkeys(values.get("fields") or ()))
    allowed = {key for key, _label in WebForm.FIELD_CHOICES}
    if set(wanted) - allowed:
        errors["fields"] = _("Choose fields from the list.")
    form.fields = [f for f in wanted if f in allowed]
    form.consent_text = text_clean(
        values.get("consent_text"), field="consent_text", limit=300, errors=errors
    )
    form.thank_you_text = text_clean(
        values.get("thank_you_text"),
        field="thank_you_text",
        limit=500,
        errors=errors,
        required=True,
    )
    form.campaign = text_clean(values.get("campaign"), field="campaign", limit=120, errors=errors)
    form.assignment = str(values.get("assignment") or WebForm.Assignment.FIXED)
    choice_check(form.assignment, WebForm.Assignment.values, field="assignment", errors=errors)
    form.is_active = bool(values.get("is_active", True))
    form.owner = None
    form.team = None
    if form.assignment == WebForm.Assignment.FIXED:
        owner = User.objects.filter(pk=values.get("owner_id") or 0, is_active=True).first()
        if owner is None:
            errors["owner_id"] = _("Choose the owner of the form's leads.")
        form.owner = owner
    else:
        team = Team.objects.filter(pk=values.get("team_id") or 0).first()
        if team is None or not team.members.filter(is_active=True).exists():
            errors["team_id"] = _("Choose a team with active members.")
        form.team = team


@transaction.atomic
def webform_create(*, by: User, **values: Any) -> WebForm:
    """Create a web-to-lead form (administrators only)."""
    admin_require(by, message=_("Only administrators can design web forms."))
    form = WebForm()
    errors: dict[str, str] = {}
    _form_apply(form, values, errors)
    if errors:
        raise FieldError(errors)
    form.save()
    return form


@transaction.atomic
def webform_update(*, by: User, form_id: int, **values: Any) -> WebForm:
    """Change a web-to-lead form (administrators only)."""
    admin_require(by, message=_("Only administrators can design web forms."))
    form = WebForm.objects.select_for_update().filter(pk=form_id).first()
    if form is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    _form_apply(form, values, errors)
    if errors:
        raise FieldError(errors)
    form.save()
    return form


def _form_owner(form: WebForm) -> User:
    """Fixed owner, or the next active team member in turn (the form row is locked)."""
    if form.assignment == WebForm.Assignment.FIXED and form.owner is not None:
        return form.owner
    members = list(User.objects.filter(team_id=form.team_id or 0, is_active=True).order_by("pk"))
    if not members:
        raise FieldError.one("__all__", _("This form cannot take submissions right now."))
    owner = members[form.assigned_count % len(members)]
    WebForm.objects.filter(pk=form.pk).update(assigned_count=form.assigned_count + 1)
    return owner


# Every web-to-lead form counts against one rate limit per address.
PUBLIC_FORM = "sales.webform"


def webform_submit(
    *, slug: str, data: Mapping[str, Any], ip: str, now: datetime | None = None
) -> Lead | None:
    """Take one public submission of form `slug`: a new lead (plus the consent, through the
    consent service, when ticked and a contact holds the email; otherwise it is kept on the
    lead until conversion).

    Returns None for a honeypot hit (looks accepted, nothing stored). Raises RateLimited after
    KITH_SALES_FORM_RATE submissions per address in KITH_SALES_FORM_WINDOW seconds, and
    FieldError naming each bad field; nothing is stored then (except the rate-limit count).
    """
    now = now or timezone.now()
    form = WebForm.objects.filter(slug=slug, is_active=True).first()
    if form is None:
        raise NotFound(_("Not found."))
    # Counted before validation, outside the lead's transaction: posts with bad input count too.
    taken = public_form_guard(
        form=PUBLIC_FORM,
        request_address=ip,
        honeypot=data.get("website_url"),  # humans never see it
        rate=settings.KITH_SALES_FORM_RATE,
        window=settings.KITH_SALES_FORM_WINDOW,
        now=now,
    )
    if not taken:
        return None
    with transaction.atomic():
        form = (
            WebForm.objects.select_for_update(of=("self",)).select_related("owner").get(pk=form.pk)
        )
        lead = _submission_lead(form, data)
        consent = bool(form.consent_text) and str(data.get("consent") or "") in {"on", "1", "true"}
        owner = _form_owner(form)
        lead.owner, lead.team_id = owner, owner.team_id
        lead.campaign = form.campaign
        if consent:
            lead.consent_at, lead.consent_text = now, form.consent_text
        lead.save()
        history = changes_record(instance=lead, actor=None, before=None, after={})
        source = {"source_channel": lead.source_channel, "form_id": form.pk}
        change_event_record(entity="lead", record=lead, actor=None, changes=history, payload=source)
        event_record(name="webform.submitted", record=form, payload={"lead_id": lead.pk})
        if consent:
            _submission_consent(lead, form, now)
        return lead


def _submission_lead(form: WebForm, data: Mapping[str, Any]) -> Lead:
    """The (unsaved) lead of a submission; FieldError naming every bad field."""
    errors: dict[str, str] = {}
    lead = Lead(status=Lead.Status.NEW, source_channel=Channel.WEB_FORM, form=form)
    values = {"full_name": data.get("full_name"), "email": data.get("email")}
    for key in form.fields:
        values[key] = data.get(key)
    _lead_apply(lead, values, errors)
    if not lead.email and "email" not in errors:
        errors["email"] = _("Enter an email address.")
    if errors:
        raise FieldError(errors)
    return lead


def _submission_consent(lead: Lead, form: WebForm, now: datetime) -> None:
    """The ticked consent on the contact holding the lead's email (the first one), with its
    history row; none yet: it waits on the lead until conversion."""
    contact = contacts_by_points(emails=[lead.email]).first()
    if contact is not None:
        consent_set(
            contact=contact,
            channel=Consent.Channel.EMAIL,
            purpose=Consent.Purpose.MARKETING,
            status=Consent.Status.GRANTED,
            source=f"web form {form.slug}"[:120],
            at=now,
        )
