"""Writes of sales: leads and their conversion, web-form submissions, pipelines, deals and
their moves, products, orders (one by one and in bulk) and the purchase summaries.

Every service checks access with kith.identity.access, raises FieldError keyed by field,
writes atomically and records history in kith.core.audit (model labels "sales.lead", …).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import chain, islice
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, Forbidden, NotFound, StaleEdit
from kith.core.text import clean
from kith.customers import services as customers
from kith.customers.models import Company, Consent, Contact, ContactPoint
from kith.customers.normalise import domain_normalise, email_normalise, phone_normalise
from kith.identity.access import in_scope, is_admin, require, visible_to
from kith.identity.models import Team, User
from kith.identity.selectors import users_assignable
from kith.sales.models import (
    Channel,
    Deal,
    DealContact,
    DealStageChange,
    FormSubmission,
    Lead,
    Order,
    OrderLine,
    Pipeline,
    Product,
    PurchaseSummary,
    Stage,
    WebForm,
)

# Mail providers whose domain says nothing about the sender's company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
        "icloud.com", "qq.com", "163.com", "126.com", "sina.com", "proton.me", "protonmail.com",
        "aol.com", "gmx.net", "yandex.ru", "mail.ru", "example.com",
    }
)  # fmt: skip
LEAD_FIELDS = frozenset(
    {
        "full_name", "email", "phone", "company_name", "website", "message", "source_channel",
        "campaign", "status", "disqualified_reason", "owner_id",
    }
)  # fmt: skip
DEAL_FIELDS = frozenset(
    {
        "name", "amount_minor", "currency", "probability", "expected_close", "company_id",
        "contact_ids", "product_ids", "lost_reason", "owner_id",
    }
)  # fmt: skip


# --- shared steps -----------------------------------------------------------------------------


def _text(
    value: Any, field: str, limit: int, errors: dict[str, str], required: bool = False
) -> str:
    text = clean(str(value or ""))
    if len(text) > limit:
        errors[field] = _("Use at most %(n)d characters.") % {"n": limit}
    elif required and not text:
        errors[field] = _("This field is required.")
    return text


def _choice(value: str, choices: Iterable[str], field: str, errors: dict[str, str]) -> None:
    if value not in set(choices):
        errors[field] = _("“%(value)s” is not a valid choice.") % {"value": value}


def _currency(value: Any, field: str, errors: dict[str, str]) -> str:
    code = clean(str(value or "")).upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        errors[field] = _("Use a three-letter currency code such as USD, VND or CNY.")
    return code


def _owner_resolve(*, by: User, owner_id: int | None, module: str) -> User:
    if owner_id is None or owner_id == by.pk:
        return by
    owner = users_assignable(user=by, module=module).filter(pk=owner_id).first()
    if owner is None:
        raise FieldError.one("owner_id", _("You cannot assign records to this user."))
    return owner


def _version_check(record: Any, version: int | None) -> None:
    if version is not None and record.version != version:
        raise StaleEdit(
            _(
                "%(name)s was changed by someone else since you opened it "
                "(version %(theirs)d, yours %(yours)d). Reload to see their changes."
            )
            % {"name": str(record), "theirs": record.version, "yours": version}
        )


def _unknown_check(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise FieldError({name: _("This field cannot be changed.") for name in unknown})


def _for_write(model: Any, module: str, *, by: User, pk: int, right: str) -> Any:
    record = (
        visible_to(model.objects.select_for_update(of=("self",)), user=by, module=module)
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise NotFound(_("Not found."))
    require(by, module, right, record)
    return record


# --- leads --------------------------------------------------------------------------------------


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
    if "full_name" in changes:
        lead.full_name = _text(changes["full_name"], "full_name", 200, errors, required=True)
    for name, limit in (("company_name", 200), ("campaign", 120), ("disqualified_reason", 200)):
        if name in changes:
            setattr(lead, name, _text(changes[name], name, limit, errors))
    if "message" in changes:
        lead.message = _text(changes["message"], "message", 5000, errors)
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
    if "source_channel" in changes:
        lead.source_channel = str(changes["source_channel"] or "")
        _choice(lead.source_channel, Channel.values, "source_channel", errors)
    if "status" in changes:
        status = str(changes["status"] or "")
        if status == Lead.Status.CONVERTED and lead.status != Lead.Status.CONVERTED:
            errors["status"] = _("Convert the lead to mark it converted.")
        else:
            _choice(status, Lead.Status.values, "status", errors)
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
    try:
        owner = _owner_resolve(by=by, owner_id=owner_id, module="leads")
    except FieldError as exc:
        errors.update(exc.errors)
    if errors:
        raise FieldError(errors)
    lead.owner, lead.team_id = owner, owner.team_id
    lead.save()
    changes_record(instance=lead, actor=by, before=None, after={})
    return lead


@transaction.atomic
def lead_update(*, by: User, lead_id: int, version: int | None = None, **changes: Any) -> Lead:
    """Change the named fields of a lead; history records each change."""
    _unknown_check(changes, LEAD_FIELDS)
    lead = _for_write(Lead, "leads", by=by, pk=lead_id, right="edit")
    _version_check(lead, version)
    if lead.status == Lead.Status.CONVERTED:
        raise FieldError.one("status", _("A converted lead cannot be changed."))
    before = _lead_snapshot(lead)
    errors: dict[str, str] = {}
    _lead_apply(lead, changes, errors)
    if "owner_id" in changes:
        try:
            owner = _owner_resolve(by=by, owner_id=changes["owner_id"], module="leads")
            lead.owner, lead.team_id = owner, owner.team_id
        except FieldError as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldError(errors)
    lead.version += 1
    lead.save()
    changes_record(instance=lead, actor=by, before=before, after=_lead_snapshot(lead))
    return lead


@transaction.atomic
def lead_delete(*, by: User, lead_id: int) -> None:
    lead = _for_write(Lead, "leads", by=by, pk=lead_id, right="delete")
    changes_record(instance=lead, actor=by, before=_lead_snapshot(lead), after=None)
    lead.delete()


@dataclass
class Conversion:
    lead: Lead
    contact: Contact
    company: Company | None
    deal: Deal | None
    contact_created: bool
    company_created: bool


def _match_visible(queryset: Any, *, by: User, module: str, field: str) -> Any:
    """The first record of `queryset`; FieldError when it exists but `by` may not see it (a
    duplicate must not be made, and the other team's record must not be linked blindly)."""
    record = queryset.order_by("pk").first()
    if record is not None and not in_scope(by, module, record):
        raise FieldError.one(
            field,
            _("A record with this %(field)s already exists in another team; ask its owner.")
            % {"field": field},
        )
    return record


def contact_match(*, by: User, email: str, phone: str) -> Contact | None:
    """An existing contact with this (normalised) email, else this phone."""
    for kind, value, field in (
        (ContactPoint.Kind.EMAIL, email, "email"),
        (ContactPoint.Kind.PHONE, phone, "phone"),
    ):
        if value:
            contact = _match_visible(
                Contact.objects.filter(points__kind=kind, points__value=value),
                by=by,
                module="contacts",
                field=field,
            )
            if contact is not None:
                return contact
    return None


def _company_domain(lead: Lead) -> str:
    if lead.website:
        return lead.website
    domain = lead.email.rpartition("@")[2]
    return "" if domain in FREE_MAIL_DOMAINS else domain


@transaction.atomic
def lead_convert(
    *,
    by: User,
    lead_id: int,
    create_deal: bool = False,
    deal_name: str = "",
    pipeline_id: int | None = None,
    amount_minor: int = 0,
    currency: str = "",
    expected_close: date | None = None,
) -> Conversion:
    """Turn a lead into a contact and company (the existing ones when the email, phone or
    company domain matches: never a duplicate) and optionally a deal, in one atomic step.
    The lead stays, marked converted and linked to what it became."""
    lead = _for_write(Lead, "leads", by=by, pk=lead_id, right="edit")
    if lead.status == Lead.Status.CONVERTED:
        raise FieldError.one("status", _("This lead is already converted."))
    if lead.status == Lead.Status.DISQUALIFIED:
        raise FieldError.one("status", _("A disqualified lead cannot be converted."))
    before = _lead_snapshot(lead)
    domain = _company_domain(lead)
    company = None
    company_created = False
    if domain:
        company = _match_visible(
            Company.objects.filter(domain=domain), by=by, module="companies", field="website"
        )
    if company is None and lead.company_name:
        company = customers.company_create(
            by=by, name=lead.company_name, domain=domain, owner_id=lead.owner_id
        )
        company_created = True
    contact = contact_match(by=by, email=lead.email, phone=lead.phone)
    contact_created = contact is None
    if contact is None:
        contact = customers.contact_create(
            by=by,
            full_name=lead.full_name,
            company_id=company.pk if company else None,
            emails=[lead.email] if lead.email else [],
            phones=[lead.phone] if lead.phone else [],
            source_channel=lead.source_channel
            if lead.source_channel in Contact.Channel.values
            else Contact.Channel.OTHER,
            owner_id=lead.owner_id,
        )
    elif company is not None and contact.company_id is None:
        contact = customers.contact_update(
            by=by, contact_id=contact.pk, version=contact.version, company_id=company.pk
        )
    if lead.consent_at:
        customers.consent_record(
            by=by,
            contact_id=contact.pk,
            channel=Consent.Channel.EMAIL,
            purpose=Consent.Purpose.MARKETING,
            status=Consent.Status.GRANTED,
            source=(lead.form.name if lead.form_id and lead.form else "lead")[:120],
            at=lead.consent_at,
        )
    deal = None
    if create_deal:
        pipeline = Pipeline.objects.filter(pk=pipeline_id).first() if pipeline_id else None
        pipeline = pipeline or Pipeline.objects.order_by("position", "id").first()
        if pipeline is None:
            raise FieldError.one("pipeline_id", _("Create a pipeline first."))
        deal = deal_create(
            by=by,
            name=deal_name or lead.company_name or lead.full_name,
            pipeline_id=pipeline.pk,
            amount_minor=amount_minor,
            currency=currency or pipeline.currency,
            expected_close=expected_close,
            company_id=company.pk if company else None,
            contact_ids=[contact.pk],
            owner_id=lead.owner_id,
        )
    lead.status = Lead.Status.CONVERTED
    lead.converted_at = timezone.now()
    lead.contact, lead.company, lead.deal = contact, company, deal
    lead.version += 1
    lead.save()
    changes_record(instance=lead, actor=by, before=before, after=_lead_snapshot(lead))
    return Conversion(
        lead=lead,
        contact=contact,
        company=company,
        deal=deal,
        contact_created=contact_created,
        company_created=company_created,
    )


# --- web forms --------------------------------------------------------------------------------


def _form_apply(form: WebForm, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    form.name = _text(values.get("name"), "name", 120, errors, required=True)
    form.slug = _text(values.get("slug"), "slug", 60, errors, required=True).lower()
    if form.slug and not all(c.isascii() and (c.isalnum() or c == "-") for c in form.slug):
        errors["slug"] = _("Use lower-case letters, digits and hyphens.")
    elif WebForm.objects.filter(slug=form.slug).exclude(pk=form.pk).exists():
        errors["slug"] = _("Another form uses this address.")
    wanted = list(dict.fromkeys(values.get("fields") or ()))
    allowed = {key for key, _label in WebForm.FIELD_CHOICES}
    if set(wanted) - allowed:
        errors["fields"] = _("Choose fields from the list.")
    form.fields = [f for f in wanted if f in allowed]
    form.consent_text = _text(values.get("consent_text"), "consent_text", 300, errors)
    form.thank_you_text = _text(
        values.get("thank_you_text"), "thank_you_text", 500, errors, required=True
    )
    form.campaign = _text(values.get("campaign"), "campaign", 120, errors)
    form.assignment = str(values.get("assignment") or WebForm.Assignment.FIXED)
    _choice(form.assignment, WebForm.Assignment.values, "assignment", errors)
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


def _admin_check(by: User) -> None:
    if not is_admin(by):
        raise Forbidden(_("Only administrators can design web forms."))


@transaction.atomic
def webform_create(*, by: User, **values: Any) -> WebForm:
    """Create a web-to-lead form (administrators only)."""
    _admin_check(by)
    form = WebForm()
    errors: dict[str, str] = {}
    _form_apply(form, values, errors)
    if errors:
        raise FieldError(errors)
    form.save()
    return form


@transaction.atomic
def webform_update(*, by: User, form_id: int, **values: Any) -> WebForm:
    _admin_check(by)
    form = WebForm.objects.select_for_update().filter(pk=form_id).first()
    if form is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    _form_apply(form, values, errors)
    if errors:
        raise FieldError(errors)
    form.save()
    return form


class RateLimited(FieldError):
    """Too many submissions from one address."""


def ip_hash(ip: str) -> str:
    """The submitter's address, hashed with the secret key: counted, never stored in clear."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


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


def webform_submit(
    *, slug: str, data: Mapping[str, Any], ip: str, now: datetime | None = None
) -> Lead | None:
    """Take one public submission of form `slug`: a new lead (plus the consent when ticked and
    a matching contact exists; otherwise it is kept on the lead until conversion).

    Returns None for a honeypot hit (looks accepted, nothing stored). Raises RateLimited after
    KITH_SALES_FORM_RATE submissions per address in KITH_SALES_FORM_WINDOW seconds, and
    FieldError naming each bad field; nothing is stored then (except the rate-limit count).
    """
    now = now or timezone.now()
    form = WebForm.objects.filter(slug=slug, is_active=True).first()
    if form is None:
        raise NotFound(_("Not found."))
    hashed = ip_hash(ip)
    window = now - timedelta(seconds=settings.KITH_SALES_FORM_WINDOW)
    # Counted before validation, outside the lead's transaction: posts with bad input count too.
    recent = FormSubmission.objects.filter(ip_hash=hashed, at__gte=window).count()
    if recent >= settings.KITH_SALES_FORM_RATE:
        raise RateLimited.one(
            "__all__", _("Too many submissions from your address; try again later.")
        )
    FormSubmission.objects.create(form=form, ip_hash=hashed)
    if clean(str(data.get("website_url") or "")):  # the honeypot: humans never see it
        return None
    with transaction.atomic():
        form = (
            WebForm.objects.select_for_update(of=("self",)).select_related("owner").get(pk=form.pk)
        )
        errors: dict[str, str] = {}
        lead = Lead(status=Lead.Status.NEW, source_channel=Channel.WEB_FORM, form=form)
        values = {"full_name": data.get("full_name"), "email": data.get("email")}
        for key in form.fields:
            values[key] = data.get(key)
        _lead_apply(lead, values, errors)
        if not lead.email and "email" not in errors:
            errors["email"] = _("Enter an email address.")
        consent = bool(form.consent_text) and str(data.get("consent") or "") in {"on", "1", "true"}
        if errors:
            raise FieldError(errors)
        owner = _form_owner(form)
        lead.owner, lead.team_id = owner, owner.team_id
        lead.campaign = form.campaign
        if consent:
            lead.consent_at, lead.consent_text = now, form.consent_text
        lead.save()
        changes_record(instance=lead, actor=None, before=None, after={})
        if consent:
            contact = Contact.objects.filter(
                points__kind=ContactPoint.Kind.EMAIL, points__value=lead.email
            ).first()
            if contact is not None:
                Consent.objects.create(
                    contact=contact,
                    channel=Consent.Channel.EMAIL,
                    purpose=Consent.Purpose.MARKETING,
                    status=Consent.Status.GRANTED,
                    at=now,
                    source=f"web form {form.slug}"[:120],
                )
        return lead


def form_submissions_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete rate-limit rows older than the window (run daily)."""
    deleted, _by_model = FormSubmission.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted


# --- pipelines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageInput:
    name: str
    probability: int
    outcome: str = Stage.Outcome.OPEN
    id: int | None = None  # pipeline_update: an existing stage of the pipeline; None adds one


@transaction.atomic
def pipeline_create(
    *, by: User, name: str, stages: Sequence[StageInput], currency: str = "USD"
) -> Pipeline:
    """A pipeline with its ordered stages (administrators only); needs one won and one lost
    stage so every deal can close."""
    if not is_admin(by):
        raise Forbidden(_("Only administrators can change pipelines."))
    errors: dict[str, str] = {}
    name = _text(name, "name", 120, errors, required=True)
    if name and Pipeline.objects.filter(name=name).exists():
        errors["name"] = _("Another pipeline has this name.")
    currency = _currency(currency, "currency", errors)
    _stages_check(stages, errors)
    if errors:
        raise FieldError(errors)
    pipeline = Pipeline.objects.create(
        name=name, currency=currency, position=Pipeline.objects.count()
    )
    Stage.objects.bulk_create(
        [
            Stage(
                pipeline=pipeline,
                name=clean(s.name)[:80],
                position=i,
                probability=s.probability,
                outcome=s.outcome,
            )
            for i, s in enumerate(stages)
        ]
    )
    return pipeline


def _stages_check(stages: Sequence[StageInput], errors: dict[str, str]) -> None:
    for index, stage in enumerate(stages):
        if not clean(stage.name):
            errors[f"stages.{index}.name"] = _("Enter a name.")
        if not 0 <= stage.probability <= 100:
            errors[f"stages.{index}.probability"] = _("Use a percentage from 0 to 100.")
        _choice(stage.outcome, Stage.Outcome.values, f"stages.{index}.outcome", errors)
    outcomes = [s.outcome for s in stages]
    if "open" not in outcomes or "won" not in outcomes or "lost" not in outcomes:
        errors["stages"] = _("A pipeline needs open stages, a won stage and a lost stage.")


def _pipeline_snapshot(pipeline: Pipeline) -> dict[str, str]:
    stages = pipeline.stages.order_by("position", "id")
    return {
        "name": pipeline.name,
        "currency": pipeline.currency,
        "stages": "; ".join(f"{s.name} {s.probability}% {s.outcome}" for s in stages),
    }


@transaction.atomic
def pipeline_update(
    *,
    by: User,
    pipeline_id: int,
    name: str | None = None,
    currency: str | None = None,
    stages: Sequence[StageInput] | None = None,
) -> Pipeline:
    """Rename a pipeline, change its currency, and (with `stages`, in their new order) rename,
    reorder, re-weight and add stages; stages left out are deleted (with the stage-history
    entries that name them), which is refused while deals are in them. Administrators only. A stage whose won/lost flag changes takes its
    deals along (their outcome and closed date follow); its probability is the default of
    deals that enter it later, existing deals keep theirs."""
    if not is_admin(by):
        raise Forbidden(_("Only administrators can change pipelines."))
    pipeline = Pipeline.objects.select_for_update().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("Not found."))
    before = _pipeline_snapshot(pipeline)
    errors: dict[str, str] = {}
    if name is not None:
        name = _text(name, "name", 120, errors, required=True)
        if name and Pipeline.objects.filter(name=name).exclude(pk=pipeline.pk).exists():
            errors["name"] = _("Another pipeline has this name.")
        pipeline.name = name
    if currency is not None:
        pipeline.currency = _currency(currency, "currency", errors)
    existing = {stage.pk: stage for stage in pipeline.stages.all()}
    removed: list[Stage] = []
    if stages is not None:
        _stages_check(stages, errors)
        kept = [s.id for s in stages if s.id is not None]
        for index, stage in enumerate(stages):
            if stage.id is not None and stage.id not in existing:
                errors[f"stages.{index}.id"] = _("This stage is not in this pipeline.")
        if len(set(kept)) != len(kept):
            errors["stages"] = _("A stage is listed twice.")
        removed = [row for pk, row in existing.items() if pk not in kept]
        busy = set(
            Deal.objects.filter(stage__in=removed).values_list("stage_id", flat=True).distinct()
        )
        for row in removed:
            if row.pk in busy:
                errors["stages"] = _(
                    "The stage “%(name)s” still has deals: move them before deleting it."
                ) % {"name": row.name}
    if errors:
        raise FieldError(errors)
    pipeline.save()
    if stages is not None:
        now = timezone.now()
        DealStageChange.objects.filter(Q(from_stage__in=removed) | Q(to_stage__in=removed)).delete()
        Stage.objects.filter(pk__in=[s.pk for s in removed]).delete()
        for position, item in enumerate(stages):
            current = existing.get(item.id) if item.id is not None else None
            if current is None:
                Stage.objects.create(
                    pipeline=pipeline, name=clean(item.name)[:80], position=position,
                    probability=item.probability, outcome=item.outcome,
                )  # fmt: skip
                continue
            flag_changed = current.outcome != item.outcome
            current.name, current.position = clean(item.name)[:80], position
            current.probability, current.outcome = item.probability, item.outcome
            current.save()
            if flag_changed:
                deals = Deal.objects.filter(stage=current)
                if item.outcome == Stage.Outcome.OPEN:
                    deals.update(outcome=item.outcome, closed_at=None)
                else:
                    deals.filter(closed_at__isnull=True).update(closed_at=now)
                    deals.update(outcome=item.outcome)
    changes_record(instance=pipeline, actor=by, before=before, after=_pipeline_snapshot(pipeline))
    return pipeline


@transaction.atomic
def pipeline_delete(*, by: User, pipeline_id: int) -> None:
    """Delete a pipeline and its stages (administrators only); refused while it has deals."""
    if not is_admin(by):
        raise Forbidden(_("Only administrators can change pipelines."))
    pipeline = Pipeline.objects.select_for_update().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("Not found."))
    if Deal.objects.filter(pipeline=pipeline).exists():
        raise FieldError.one(
            "pipeline", _("This pipeline still has deals: move or delete them first.")
        )
    changes_record(instance=pipeline, actor=by, before=_pipeline_snapshot(pipeline), after=None)
    pipeline.delete()


# --- deals --------------------------------------------------------------------------------------


def _deal_snapshot(deal: Deal) -> dict[str, str]:
    return {
        "name": deal.name,
        "stage": deal.stage.name if deal.stage_id else "",
        "amount": deal.amount_display,
        "probability": str(deal.probability),
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else "",
        "company": str(deal.company_id or ""),
        "lost_reason": deal.lost_reason,
        "owner": str(deal.owner) if deal.owner_id else "",
    }


def _deal_links_snapshot(deal: Deal) -> dict[str, str]:
    """The deal's contacts (as ids: history is shown to whoever sees the deal, who may not
    see every contact) and products (by SKU)."""
    contacts = DealContact.objects.filter(deal=deal).order_by("contact_id")
    return {
        "contacts": ", ".join(f"#{pk}" for pk in contacts.values_list("contact_id", flat=True)),
        "products": ", ".join(deal.products.order_by("sku").values_list("sku", flat=True)),
    }


def _deal_apply(
    *, by: User, deal: Deal, changes: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, list[int] | None]:
    if "name" in changes:
        deal.name = _text(changes["name"], "name", 200, errors, required=True)
    if "currency" in changes:
        deal.currency = _currency(changes["currency"], "currency", errors)
    if "amount_minor" in changes:
        try:
            deal.amount_minor = int(changes["amount_minor"] or 0)
        except (TypeError, ValueError):
            errors["amount_minor"] = _("Enter a whole number of minor units.")
        if deal.amount_minor < 0:
            errors["amount_minor"] = _("The amount cannot be negative.")
    if "probability" in changes and changes["probability"] is not None:
        try:
            deal.probability = int(changes["probability"])
        except (TypeError, ValueError):
            deal.probability = -1
        if not 0 <= deal.probability <= 100:
            errors["probability"] = _("Use a percentage from 0 to 100.")
    if "expected_close" in changes:
        value = changes["expected_close"]
        if isinstance(value, str) and value:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                errors["expected_close"] = _("Enter a date as YYYY-MM-DD.")
                value = None
        deal.expected_close = value or None
    if "lost_reason" in changes:
        deal.lost_reason = _text(changes["lost_reason"], "lost_reason", 200, errors)
    if "company_id" in changes:
        company_id = changes["company_id"]
        deal.company = None
        if company_id:
            company = (
                visible_to(Company.objects.all(), user=by, module="companies")
                .filter(pk=company_id)
                .first()
            )
            if company is None:
                errors["company_id"] = _("This company does not exist or is not visible to you.")
            deal.company = company
    if "owner_id" in changes:
        try:
            owner = _owner_resolve(by=by, owner_id=changes["owner_id"], module="deals")
            deal.owner, deal.team_id = owner, owner.team_id
        except FieldError as exc:
            errors.update(exc.errors)
    related: dict[str, list[int] | None] = {"contact_ids": None, "product_ids": None}
    if "contact_ids" in changes:
        ids = list(dict.fromkeys(int(i) for i in changes["contact_ids"] or ()))
        found = set(
            visible_to(Contact.objects.filter(pk__in=ids), user=by, module="contacts").values_list(
                "pk", flat=True
            )
        )
        if set(ids) - found:
            errors["contact_ids"] = _("A contact does not exist or is not visible to you.")
        if deal.pk:
            # Contacts of the deal this user cannot see stay linked: they were not on the form.
            linked = DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)
            seen = visible_to(
                Contact.objects.filter(pk__in=linked), user=by, module="contacts"
            ).values_list("pk", flat=True)
            ids += sorted(set(linked) - set(seen) - set(ids))
        related["contact_ids"] = ids
    if "product_ids" in changes:
        ids = list(dict.fromkeys(int(i) for i in changes["product_ids"] or ()))
        if Product.objects.filter(pk__in=ids).count() != len(ids):
            errors["product_ids"] = _("A product does not exist.")
        related["product_ids"] = ids
    return related


def _deal_related_save(deal: Deal, related: Mapping[str, list[int] | None]) -> None:
    if related["contact_ids"] is not None:
        DealContact.objects.filter(deal=deal).delete()
        DealContact.objects.bulk_create(
            [DealContact(deal=deal, contact_id=i) for i in related["contact_ids"]]
        )
    if related["product_ids"] is not None:
        deal.products.set(related["product_ids"])


@transaction.atomic
def deal_create(
    *,
    by: User,
    name: str,
    pipeline_id: int,
    stage_id: int | None = None,
    amount_minor: int = 0,
    currency: str = "",
    probability: int | None = None,
    expected_close: date | str | None = None,
    company_id: int | None = None,
    contact_ids: Iterable[int] = (),
    product_ids: Iterable[int] = (),
    owner_id: int | None = None,
) -> Deal:
    """Create a deal in a stage (default: the pipeline's first); probability defaults to the
    stage's."""
    require(by, "deals", "create")
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise FieldError.one("pipeline_id", _("Choose a pipeline."))
    stages = Stage.objects.filter(pipeline=pipeline)
    stage = stages.filter(pk=stage_id).first() if stage_id else stages.order_by("position").first()
    if stage is None:
        raise FieldError.one("stage_id", _("Choose a stage of this pipeline."))
    now = timezone.now()
    deal = Deal(
        pipeline=pipeline,
        stage=stage,
        outcome=stage.outcome,
        probability=stage.probability,
        currency=pipeline.currency,
        stage_entered_at=now,
        closed_at=now if stage.outcome != Stage.Outcome.OPEN else None,
    )
    errors: dict[str, str] = {}
    related = _deal_apply(
        by=by,
        deal=deal,
        changes={
            "name": name, "amount_minor": amount_minor, "currency": currency or pipeline.currency,
            "probability": probability, "expected_close": expected_close,
            "company_id": company_id, "contact_ids": list(contact_ids),
            "product_ids": list(product_ids), "owner_id": owner_id,
        },
        errors=errors,
    )  # fmt: skip
    if errors:
        raise FieldError(errors)
    deal.save()
    _deal_related_save(deal, related)
    DealStageChange.objects.create(deal=deal, from_stage=None, to_stage=stage, at=now, by=by)
    changes_record(instance=deal, actor=by, before=None, after={})
    return deal


@transaction.atomic
def deal_update(*, by: User, deal_id: int, version: int | None = None, **changes: Any) -> Deal:
    """Change the named fields of a deal (not its stage: see deal_move)."""
    _unknown_check(changes, DEAL_FIELDS)
    deal = _for_write(Deal, "deals", by=by, pk=deal_id, right="edit")
    _version_check(deal, version)
    before = _deal_snapshot(deal) | _deal_links_snapshot(deal)
    errors: dict[str, str] = {}
    related = _deal_apply(by=by, deal=deal, changes=changes, errors=errors)
    if errors:
        raise FieldError(errors)
    deal.version += 1
    deal.save()
    _deal_related_save(deal, related)
    after = _deal_snapshot(deal) | _deal_links_snapshot(deal)
    changes_record(instance=deal, actor=by, before=before, after=after)
    return deal


@transaction.atomic
def deal_move(
    *, by: User, deal_id: int, stage_id: int, lost_reason: str = "", now: datetime | None = None
) -> Deal:
    """Move a deal to another stage of its pipeline: records the stage change with the time
    spent in the old stage, takes the new stage's probability and closes won/lost deals."""
    deal = _for_write(Deal, "deals", by=by, pk=deal_id, right="edit")
    stage = Stage.objects.filter(pk=stage_id, pipeline_id=deal.pipeline_id).first()
    if stage is None:
        raise FieldError.one("stage_id", _("Choose a stage of this deal's pipeline."))
    if stage.pk == deal.stage_id:
        return deal
    now = now or timezone.now()
    before = _deal_snapshot(deal)
    old_stage = deal.stage
    seconds = int((now - deal.stage_entered_at).total_seconds()) if deal.stage_entered_at else None
    DealStageChange.objects.create(
        deal=deal, from_stage=old_stage, to_stage=stage, seconds_in_from=seconds, at=now, by=by
    )
    deal.stage, deal.outcome = stage, stage.outcome
    deal.probability = stage.probability
    deal.stage_entered_at = now
    deal.closed_at = now if stage.outcome != Stage.Outcome.OPEN else None
    if stage.outcome == Stage.Outcome.LOST:
        deal.lost_reason = clean(lost_reason)[:200] or deal.lost_reason
    else:
        deal.lost_reason = ""
    deal.version += 1
    deal.save()
    changes_record(instance=deal, actor=by, before=before, after=_deal_snapshot(deal))
    if deal.owner_id != by.pk:
        transaction.on_commit(lambda: _notify_owner(deal=deal, by=by))
    return deal


def _notify_owner(*, deal: Deal, by: User) -> None:
    """Tell the owner someone else moved their deal (engagement's notifications, when present)."""
    try:
        from kith.engagement.services import notification_create  # type: ignore[attr-defined]
    except ImportError:
        return
    notification_create(
        recipient=deal.owner,
        kind="deal_moved",
        text=_("%(user)s moved %(deal)s to %(stage)s")
        % {"user": str(by), "deal": deal.name, "stage": deal.stage.name},
        url=f"/deals/{deal.pk}/",
        actor=by,
        record_model="sales.deal",
        record_id=deal.pk,
    )


@transaction.atomic
def deal_delete(*, by: User, deal_id: int) -> None:
    deal = _for_write(Deal, "deals", by=by, pk=deal_id, right="delete")
    changes_record(instance=deal, actor=by, before=_deal_snapshot(deal), after=None)
    deal.delete()


# --- products -----------------------------------------------------------------------------------


def _product_apply(product: Product, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "sku" in values:
        product.sku = _text(values["sku"], "sku", 64, errors, required=True)
        if product.sku and Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists():
            errors["sku"] = _("Another product has this SKU.")
    if "name" in values:
        product.name = _text(values["name"], "name", 200, errors, required=True)
    if "category" in values:
        product.category = _text(values["category"], "category", 80, errors)
    if "currency" in values:
        product.currency = _currency(values["currency"], "currency", errors)
    if "price_minor" in values:
        try:
            product.price_minor = int(values["price_minor"])
        except (TypeError, ValueError):
            errors["price_minor"] = _("Enter a whole number of minor units.")
        if product.price_minor < 0:
            errors["price_minor"] = _("The price cannot be negative.")
    if "is_active" in values:
        product.is_active = bool(values["is_active"])


@transaction.atomic
def product_create(
    *,
    by: User,
    sku: str,
    name: str,
    price_minor: int,
    currency: str = "USD",
    category: str = "",
    is_active: bool = True,
) -> Product:
    require(by, "products", "create")
    product = Product()
    errors: dict[str, str] = {}
    _product_apply(
        product,
        {"sku": sku, "name": name, "price_minor": price_minor, "currency": currency,
         "category": category, "is_active": is_active},
        errors,
    )  # fmt: skip
    if errors:
        raise FieldError(errors)
    product.save()
    changes_record(instance=product, actor=by, before=None, after={})
    return product


@transaction.atomic
def product_update(*, by: User, product_id: int, **values: Any) -> Product:
    require(by, "products", "edit")
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    _unknown_check(
        values, frozenset({"sku", "name", "price_minor", "currency", "category", "is_active"})
    )
    before = {k: str(getattr(product, k)) for k in values}
    _product_apply(product, values, errors)
    if errors:
        raise FieldError(errors)
    product.save()
    changes_record(
        instance=product,
        actor=by,
        before=before,
        after={k: str(getattr(product, k)) for k in values},
    )
    return product


# --- orders and purchase summaries --------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int
    unit_price_minor: int | None = None  # None: the product's price


def purchase_summaries_refresh(*, contact_ids: Iterable[int]) -> int:
    """Recompute the purchase summaries of these contacts from their orders, in the database
    (DELETE, then INSERT … SELECT … GROUP BY over an index range per contact); returns how
    many contacts were refreshed."""
    ids = sorted(set(contact_ids))
    quote = connection.ops.quote_name
    summary, order = quote(PurchaseSummary._meta.db_table), quote(Order._meta.db_table)
    counted = ", ".join(f"'{status}'" for status in Order.COUNTED)  # constants, not input
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {summary} WHERE contact_id IN ({marks})", chunk)  # noqa: S608
            cursor.execute(
                f"INSERT INTO {summary} (contact_id, currency, order_count, total_minor, "  # noqa: S608
                "first_at, last_at) SELECT contact_id, currency, COUNT(*), SUM(total_minor), "
                f"MIN(ordered_at), MAX(ordered_at) FROM {order} WHERE contact_id IN ({marks}) "
                f"AND status IN ({counted}) GROUP BY contact_id, currency",
                chunk,
            )
    return len(ids)


@transaction.atomic
def order_create(
    *,
    by: User,
    contact_id: int,
    lines: Sequence[LineInput],
    ordered_at: datetime | None = None,
    status: str = Order.Status.PAID,
    channel: str = Channel.WEB_FORM,
    currency: str = "USD",
    number: str = "",
) -> Order:
    """An order of a visible contact with its lines; updates the contact's purchase summary."""
    require(by, "orders", "create")
    errors: dict[str, str] = {}
    contact = (
        visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk=contact_id).first()
    )
    if contact is None:
        errors["contact_id"] = _("This contact does not exist or is not visible to you.")
    _choice(status, Order.Status.values, "status", errors)
    _choice(channel, Channel.values, "channel", errors)
    currency = _currency(currency, "currency", errors)
    number = _text(number, "number", 40, errors)
    if not lines:
        errors["lines"] = _("An order needs at least one line.")
    products = Product.objects.in_bulk([line.product_id for line in lines])
    for index, line in enumerate(lines):
        if line.product_id not in products:
            errors[f"lines.{index}.product_id"] = _("This product does not exist.")
        if line.quantity <= 0:
            errors[f"lines.{index}.quantity"] = _("The quantity must be at least 1.")
        if line.unit_price_minor is not None and line.unit_price_minor < 0:
            errors[f"lines.{index}.unit_price_minor"] = _("The price cannot be negative.")
    if errors:
        raise FieldError(errors)
    assert contact is not None
    rows = [
        OrderLine(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor
            if line.unit_price_minor is not None
            else products[line.product_id].price_minor,
        )
        for line in lines
    ]
    order = Order.objects.create(
        contact=contact,
        owner_id=contact.owner_id,
        team_id=contact.team_id,
        ordered_at=ordered_at or timezone.now(),
        status=status,
        channel=channel,
        currency=currency,
        number=number,
        total_minor=sum(r.quantity * r.unit_price_minor for r in rows),
    )
    for row in rows:
        row.order = order
    OrderLine.objects.bulk_create(rows)
    changes_record(instance=order, actor=by, before=None, after={})
    purchase_summaries_refresh(contact_ids=[contact.pk])
    return order


@transaction.atomic
def order_status_set(*, by: User, order_id: int, status: str) -> Order:
    """Change an order's status (a cancelled or refunded order leaves the purchase summary)."""
    order = _for_write(Order, "orders", by=by, pk=order_id, right="edit")
    errors: dict[str, str] = {}
    _choice(status, Order.Status.values, "status", errors)
    if errors:
        raise FieldError(errors)
    before = {"status": order.status}
    order.status = status
    order.version += 1
    order.save()
    changes_record(instance=order, actor=by, before=before, after={"status": status})
    purchase_summaries_refresh(contact_ids=[order.contact_id])
    return order


@dataclass(frozen=True)
class OrderImport:
    """One order of a bulk import: lines are (product_id, quantity, unit_price_minor)."""

    contact_id: int
    ordered_at: datetime
    lines: Sequence[tuple[int, int, int]]
    currency: str = "USD"
    status: str = Order.Status.PAID
    channel: str = Channel.IMPORT
    number: str = ""


@dataclass
class ImportResult:
    orders: int
    lines: int


ORDER_COLUMNS = (
    "id", "owner_id", "team_id", "version", "created_at", "updated_at", "contact_id", "number",
    "ordered_at", "status", "channel", "currency", "total_minor",
)  # fmt: skip
LINE_COLUMNS = ("id", "order_id", "product_id", "quantity", "unit_price_minor")
# Orders validated and written at a time: bounded memory for an import of any length.
IMPORT_CHUNK = 20_000
# Contacts whose owner and team an import remembers between chunks.
IMPORT_CONTACT_CACHE = 200_000


def _ids_next(model: Any) -> int:
    return int(model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _rows_write(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain value tuples: COPY on PostgreSQL; on SQLite multi-row INSERT statements
    (one statement per thousand rows is several times faster than executemany's statement per
    row, which also rewrites sqlite_sequence each time)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3 cursor
            with raw.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    import sqlite3

    connection.ensure_connection()
    db = connection.connection
    # A statement of a thousand rows, compiled once and cached: SQLite's compile time grows with
    # the statement, so the longest statement it accepts is several times slower.
    per = max(1, min(1000, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))
    group = "(" + ", ".join(["?"] * len(columns)) + ")"
    full = f"INSERT INTO {quote(table)} ({cols}) VALUES " + ", ".join([group] * per)  # noqa: S608
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        sql = (
            full
            if len(chunk) == per
            else full[: full.index(" VALUES ") + 8] + ", ".join([group] * len(chunk))
        )
        db.execute(sql, list(chain.from_iterable(chunk)))


def _sequences_reset() -> None:
    from django.core.management.color import no_style

    for sql in connection.ops.sequence_reset_sql(no_style(), [Order, OrderLine]):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _plain_indexes_drop(models: Sequence[Any]) -> list[str]:
    """Drop the plain (not primary, not unique) indexes of these tables, and on PostgreSQL
    their foreign keys; returns the statements that bring them back. Only inside a
    transaction: a rollback restores them."""
    quote = connection.ops.quote_name
    found: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                    " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                    " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass"
                    " AND NOT x.indisprimary AND NOT x.indisunique",
                    [table],
                )
            found.extend(cursor.fetchall())
        for name, _sql in found:
            cursor.execute(f"DROP INDEX {quote(name)}")
        recreate = [sql for _name, sql in found]
        if connection.vendor == "postgresql":
            # PostgreSQL checks a foreign key with one locking lookup per row; added back at
            # the end, it validates every row in one join (the documented bulk-load advice).
            # ALTER TABLE also touches the referenced tables, which refuses while checks of
            # rows written earlier in this transaction are pending: run those now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    recreate.append(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
    return recreate


def _import_errors(orders: Sequence[OrderImport], first: int, *, contacts: Mapping[int, Any],
                   product_ids: set[int]) -> dict[str, str]:  # fmt: skip
    """Every problem of these orders, keyed "orders.<index>.<field>" (index in the import)."""
    errors: dict[str, str] = {}
    statuses, channels = set(Order.Status.values), set(Channel.values)
    for index, order in enumerate(orders, start=first):
        if order.contact_id not in contacts:
            errors[f"orders.{index}.contact_id"] = _(
                "This contact does not exist or is not visible to you."
            )
        if order.status not in statuses:
            errors[f"orders.{index}.status"] = _("“%(value)s” is not a valid choice.") % {
                "value": order.status
            }
        if order.channel not in channels:
            errors[f"orders.{index}.channel"] = _("“%(value)s” is not a valid choice.") % {
                "value": order.channel
            }
        if not order.lines:
            errors[f"orders.{index}.lines"] = _("An order needs at least one line.")
        for line_index, (product_id, quantity, price) in enumerate(order.lines):
            if product_id not in product_ids:
                errors[f"orders.{index}.lines.{line_index}.product_id"] = _(
                    "This product does not exist."
                )
            if quantity <= 0 or price < 0:
                errors[f"orders.{index}.lines.{line_index}.quantity"] = _(
                    "The quantity must be at least 1 and the price not negative."
                )
        if len(errors) >= 50:
            break
    return errors


def _contacts_known(by: User, ids: Iterable[int], known: dict[int, tuple[int, int | None]]) -> None:
    """Add the owner and team of those of `ids` that `by` may see to `known`."""
    ids = set(ids)
    missing = sorted(pk for pk in ids if pk not in known)
    if len(known) + len(missing) > IMPORT_CONTACT_CACHE:
        # Forget the earlier chunks' contacts, keeping none of this chunk's out.
        known.clear()
        missing = sorted(ids)
    if missing and missing[-1] - missing[0] < 4 * len(missing):
        # Dense ids (a customer file, a generator): one primary-key range reads them all,
        # cheaper than binding thousands of IN parameters.
        wanted = set(missing)
        for pk, owner_id, team_id in visible_to(
            Contact.objects.filter(pk__gte=missing[0], pk__lte=missing[-1]),
            user=by,
            module="contacts",
        ).values_list("pk", "owner_id", "team_id"):
            if pk in wanted:
                known[pk] = (owner_id, team_id)
        return
    for start in range(0, len(missing), 5000):
        chunk = missing[start : start + 5000]
        for pk, owner_id, team_id in visible_to(
            Contact.objects.filter(pk__in=chunk), user=by, module="contacts"
        ).values_list("pk", "owner_id", "team_id"):
            known[pk] = (owner_id, team_id)


@transaction.atomic
def orders_import(
    *,
    by: User,
    orders: Iterable[OrderImport],
    refresh_summaries: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """The bulk path: validate orders (visible contacts, known products, positive quantities)
    and write orders and lines with COPY / multi-row INSERTs, IMPORT_CHUNK orders at a time,
    then refresh the purchase summaries of the contacts touched. `orders` may be a generator
    of any length; `progress(orders, lines)` is called after each chunk.

    All or nothing: one transaction, and an error names the order ("orders.3.…"; the first
    chunk with errors is reported). Into an empty order table (a first load) the plain
    indexes of orders and lines are dropped and built once at the end (one sort per index
    instead of a random B-tree insert per row) and the summaries are computed in one pass;
    on PostgreSQL this holds the order table's lock until the import commits."""
    require(by, "orders", "create")
    first_load = not Order.objects.exists()
    indexes = _plain_indexes_drop([Order, OrderLine]) if first_load else []
    product_ids = set(Product.objects.values_list("pk", flat=True))
    statuses, channels = frozenset(Order.Status.values), frozenset(Channel.values)
    sqlite = connection.vendor == "sqlite"
    now = timezone.now()
    now_value = now.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if sqlite else now
    order_id = first_id = _ids_next(Order)
    line_id = _ids_next(OrderLine)
    known: dict[int, tuple[int, int | None]] = {}
    done_orders = done_lines = 0
    iterator = iter(orders)
    while chunk := list(islice(iterator, IMPORT_CHUNK)):
        chunk_contacts = {order.contact_id for order in chunk}
        _contacts_known(by, chunk_contacts, known)
        order_rows: list[tuple] = []
        line_rows: list[tuple] = []
        add_order, add_line, contact_of = order_rows.append, line_rows.append, known.get
        valid = True
        for order in chunk:
            contact = contact_of(order.contact_id)
            lines = order.lines
            if (
                contact is None
                or not lines
                or order.status not in statuses
                or order.channel not in channels
            ):
                valid = False
                break
            total = 0
            for product_id, quantity, price in lines:
                if quantity <= 0 or price < 0 or product_id not in product_ids:
                    valid = False
                    break
                add_line((line_id, order_id, product_id, quantity, price))
                line_id += 1
                total += quantity * price
            if not valid:
                break
            ordered_at: Any = order.ordered_at
            if sqlite:
                # As the ORM stores datetimes on SQLite: naive UTC text ("… 10:00:00[.123]").
                if ordered_at.tzinfo is UTC:
                    ordered_at = str(ordered_at)[:-6]
                else:
                    ordered_at = str(ordered_at.astimezone(UTC).replace(tzinfo=None))
            add_order(
                (order_id, contact[0], contact[1], 1, now_value, now_value, order.contact_id,
                 order.number, ordered_at, order.status, order.channel, order.currency, total)
            )  # fmt: skip
            order_id += 1
        if not valid:
            raise FieldError(
                _import_errors(chunk, done_orders, contacts=known, product_ids=product_ids)
            )
        _rows_write(Order._meta.db_table, ORDER_COLUMNS, order_rows)
        _rows_write(OrderLine._meta.db_table, LINE_COLUMNS, line_rows)
        done_orders += len(order_rows)
        done_lines += len(line_rows)
        if progress:
            progress(done_orders, done_lines)
    _sequences_reset()
    if refresh_summaries and done_orders:
        if first_load:  # no orders before: any summary left is stale
            PurchaseSummary.objects.all().delete()
        _purchase_summaries_add(first_order=first_id, last_order=order_id - 1)
    if indexes:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # CREATE INDEX refuses to run while the rows' deferred foreign-key checks are
                # pending: run them now (they would run at COMMIT anyway), then defer again.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for sql in indexes:
                cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return ImportResult(orders=done_orders, lines=done_lines)


def _purchase_summaries_add(*, first_order: int, last_order: int) -> None:
    """Add the orders with ids first_order…last_order (all new) to the purchase summaries: one
    pass over that primary-key range, GROUP BY contact and currency, upserted."""
    quote = connection.ops.quote_name
    summary, order = quote(PurchaseSummary._meta.db_table), quote(Order._meta.db_table)
    counted = ", ".join(f"'{status}'" for status in Order.COUNTED)  # constants, not input
    with connection.cursor() as cursor:
        # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.
        cursor.execute(
            f"INSERT INTO {summary} AS s (contact_id, currency, order_count, total_minor, "  # noqa: S608
            "first_at, last_at) SELECT contact_id, currency, COUNT(*), SUM(total_minor), "
            f"MIN(ordered_at), MAX(ordered_at) FROM {order} WHERE id BETWEEN %s AND %s "
            f"AND status IN ({counted}) GROUP BY contact_id, currency HAVING true "
            "ON CONFLICT (contact_id, currency) DO UPDATE SET "
            "order_count = s.order_count + excluded.order_count, "
            "total_minor = s.total_minor + excluded.total_minor, "
            "first_at = CASE WHEN excluded.first_at < s.first_at OR s.first_at IS NULL"
            " THEN excluded.first_at ELSE s.first_at END, "
            "last_at = CASE WHEN excluded.last_at > s.last_at OR s.last_at IS NULL"
            " THEN excluded.last_at ELSE s.last_at END",
            [first_order, last_order],
        )
