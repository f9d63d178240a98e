"""Interactions: logging a call, email, meeting, chat, social message, visit or note, and
sending an email to a contact (logged as an outbound email)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.customers.models import Company, Contact
from kith.engagement.models import Interaction
from kith.engagement.records import record_get
from kith.engagement.services.about import company_visible, contact_visible, record_fields_check
from kith.identity.access import require, visible_to
from kith.identity.models import User

BODY_LIMIT = 100_000


@transaction.atomic
def interaction_create(
    *,
    by: User,
    kind: str,
    occurred_at: datetime | None = None,
    contact: Contact | int | None = None,
    company: Company | int | None = None,
    record_model: str = "",
    record_id: int | None = None,
    subject: str = "",
    body: str = "",
    direction: str = "",
    channel: str = "",
    duration_seconds: int | None = None,
    outcome: str = "",
    participant_users: Iterable[User | int] = (),
    participant_contacts: Iterable[Contact | int] = (),
    message_id: str = "",
    in_reply_to: str = "",
    thread_key: str = "",
    mailbox: Any = None,
) -> Interaction:
    """Log a call, email, meeting, chat, social message, visit or note.

    It must be about a contact, a company or a record of any app (record_model, record_id, see
    kith.engagement.records); all of them must be visible to `by` (NotFound otherwise). Without
    a company, the contact's is used. Participating contacts `by` cannot see are left out.
    """
    require(by, "interactions", "create")
    errors: dict[str, str] = {}
    if kind not in Interaction.Kind.values:
        errors["kind"] = _("Choose a kind of interaction.")
    if direction not in Interaction.Direction.values:
        errors["direction"] = _("Direction is in, out or empty.")
    if outcome not in Interaction.Outcome.values:
        errors["outcome"] = _("Choose a call outcome.")
    if outcome and kind != Interaction.Kind.CALL:
        errors["outcome"] = _("Only calls have an outcome.")
    if duration_seconds is not None and not 0 <= duration_seconds <= 7 * 24 * 3600:
        errors["duration_seconds"] = _("Duration must be between 0 and one week.")
    if len(subject) > 300:
        errors["subject"] = _("At most 300 characters.")
    if len(body) > BODY_LIMIT:
        errors["body"] = _("The text is too long.")
    if len(channel) > 32:
        errors["channel"] = _("At most 32 characters.")
    record_fields_check(record_model, record_id, errors)
    if contact is None and company is None and not record_model:
        errors["contact"] = _("Say who or what this interaction is about.")
    if kind == Interaction.Kind.NOTE and not (body.strip() or subject.strip()):
        errors["body"] = _("A note needs some text.")
    if errors:
        raise FieldError(errors)
    if record_model and record_id is not None:
        record_get(user=by, record_model=record_model, record_id=record_id)
    contact_row = contact_visible(by, contact)
    company_row = company_visible(by, company)
    company_id = (
        company_row.pk if company_row else (contact_row.company_id if contact_row else None)
    )
    interaction = Interaction.objects.create(
        owner=by,
        team_id=by.team_id,
        kind=kind,
        direction=direction,
        channel=channel.strip().lower(),
        occurred_at=occurred_at or timezone.now(),
        duration_seconds=duration_seconds,
        outcome=outcome,
        subject=subject.strip(),
        body=body,
        contact=contact_row,
        company_id=company_id,
        record_model=record_model,
        record_id=record_id,
        message_id=message_id,
        in_reply_to=in_reply_to,
        thread_key=thread_key or message_id,
        mailbox=mailbox,
    )
    users = [u if isinstance(u, int) else u.pk for u in participant_users]
    if users:
        interaction.participant_users.set(User.objects.filter(pk__in=users, is_active=True))
    contacts = [c if isinstance(c, int) else c.pk for c in participant_contacts]
    if contacts:
        interaction.participant_contacts.set(
            visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk__in=contacts)
        )
    event_record(
        name="interaction.logged", record=interaction, actor=by,
        payload={"kind": kind, "direction": direction, "contact_id": interaction.contact_id},
    )  # fmt: skip
    return interaction


# Email out ---------------------------------------------------------------------------------


@transaction.atomic
def email_send(
    *,
    by: User,
    contact: Contact | int,
    subject: str,
    body: str,
    to_address: str = "",
) -> Interaction:
    """Send an email to a contact through SMTP and log it as an outbound email interaction with
    its Message-ID. Raises FieldError when the contact has no address or the server refuses."""
    contact_row = contact_visible(by, contact)
    assert contact_row is not None
    require(by, "interactions", "create")
    address = (to_address or contact_row.primary_email).strip()
    errors: dict[str, str] = {}
    if not address:
        errors["to_address"] = _("This contact has no email address.")
    if not subject.strip():
        errors["subject"] = _("Write a subject.")
    if not body.strip():
        errors["body"] = _("Write a message.")
    if errors:
        raise FieldError(errors)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").strip() or "kith.local"
    message_id = make_msgid(domain=domain)
    message = EmailMessage(
        subject=subject.strip(),
        body=body,
        to=[address],
        reply_to=[by.email] if by.email else None,
        headers={"Message-ID": message_id},
    )
    try:
        message.send(fail_silently=False)
    except OSError as exc:
        raise FieldError.one("to_address", _("The mail server refused the message.")) from exc
    return interaction_create(
        by=by,
        kind=Interaction.Kind.EMAIL,
        contact=contact_row,
        subject=subject,
        body=body,
        direction=Interaction.Direction.OUT,
        channel="email",
        message_id=message_id.strip("<>"),
    )
