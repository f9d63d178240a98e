"""Lead conversion: a lead becomes a contact and company (matched, never duplicated) and
optionally a deal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.customers import services as customers
from kith.customers.models import Company, Consent, Contact
from kith.customers.selectors import contacts_by_points
from kith.identity.access import for_write, in_scope
from kith.identity.models import User
from kith.sales.models import Deal, Lead, Pipeline
from kith.sales.services.deals import deal_create
from kith.sales.services.leads import _lead_snapshot

# Mail providers whose domain says nothing about the sender's company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
        "icloud.com", "qq.com", "163.com", "126.com", "sina.com", "proton.me", "protonmail.com",
        "aol.com", "gmx.net", "yandex.ru", "mail.ru", "example.com",
    }
)  # fmt: skip


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
    """An existing contact with this (normalised) email, else this phone (customers' "who is
    this customer?"); FieldError when it exists but `by` may not see it."""
    for field, matches in (
        ("email", contacts_by_points(emails=[email])),
        ("phone", contacts_by_points(phones=[phone])),
    ):
        contact = _match_visible(matches, by=by, module="contacts", field=field)
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
    lead = for_write(Lead, module="leads", by=by, pk=lead_id, right="edit")
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
    event_record(
        name="lead.converted", record=lead, actor=by,
        payload={"contact_id": contact.pk, "deal_id": deal.pk if deal else None},
    )  # fmt: skip
    return Conversion(
        lead=lead,
        contact=contact,
        company=company,
        deal=deal,
        contact_created=contact_created,
        company_created=company_created,
    )
