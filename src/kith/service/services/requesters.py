"""Who a ticket from the public form or email belongs to: the contact with that address, or a
new one made by the intake user."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.customers import services as customers
from kith.customers.models import Contact, ContactPoint
from kith.identity.models import User


def intake_user() -> User:
    """Who owns tickets from the public form and email when the contact is new: the user named
    by KITH_SERVICE_INTAKE_USER, else the first active superuser."""
    username = getattr(settings, "KITH_SERVICE_INTAKE_USER", "")
    users = User.objects.filter(is_active=True)
    user = (
        users.filter(username=username).first()
        if username
        else users.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        raise FieldError.one("__all__", _("The support desk cannot take requests right now."))
    return user


def requester_for_email(*, email: str, name: str) -> tuple[Contact, User]:
    """The contact with this email (any team) and who should own its ticket; a new contact
    is made by the intake user when none exists."""
    contact = (
        Contact.objects.filter(points__kind=ContactPoint.Kind.EMAIL, points__value=email)
        .select_related("owner", "company")
        .order_by("pk")
        .first()
    )
    if contact is not None:
        return contact, contact.owner
    owner = intake_user()
    contact = customers.contact_create(
        by=owner,
        full_name=name or email.split("@")[0],
        emails=[email],
        source_channel=Contact.Channel.OTHER,
    )
    return contact, owner
