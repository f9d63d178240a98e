"""What an interaction, task or comment is about: a contact, a company or any app's record,
each visible to the user."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.customers.models import Company, Contact
from kith.identity.access import visible_to
from kith.identity.models import User


def contact_visible(by: User, contact: Contact | int | None) -> Contact | None:
    """The contact (row or id) if `by` may see it; None stays None; NotFound otherwise."""
    if contact is None:
        return None
    contact_id = contact if isinstance(contact, int) else contact.pk
    found = visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk=contact_id)
    row = found.first()
    if row is None:
        raise NotFound(_("Not found."))
    return row


def company_visible(by: User, company: Company | int | None) -> Company | None:
    """The company (row or id) if `by` may see it; None stays None; NotFound otherwise."""
    if company is None:
        return None
    company_id = company if isinstance(company, int) else company.pk
    row = (
        visible_to(Company.objects.all(), user=by, module="companies").filter(pk=company_id).first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return row


def record_fields_check(record_model: str, record_id: int | None, errors: dict[str, str]) -> None:
    """Both or neither of record_model ("app.model") and record_id; else errors["record_model"]."""
    if bool(record_model) != (record_id is not None):
        errors["record_model"] = _("Give both the record's model and its id, or neither.")
    elif record_model and not re.fullmatch(r"[a-z_]+\.[a-z_]+", record_model):
        errors["record_model"] = _("Write the record's model as app.model, e.g. sales.deal.")
