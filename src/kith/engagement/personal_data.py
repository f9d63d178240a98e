"""The engagement app's part of a contact's personal data: interactions (logged with them or
with them taking part), tasks about them, comments on their page, emails from their addresses
(kith.core.apps)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from kith.core.personal_data import ERASED, rows_json
from kith.customers.models import ContactPoint
from kith.engagement.models import Comment, Interaction, MailMessage, Notification, Task


def _interactions(contact_id: int) -> Any:
    return Interaction.objects.filter(
        Q(contact_id=contact_id) | Q(participant_contacts__id=contact_id)
    ).distinct()


def _emails(contact_id: int) -> list[str]:
    return list(
        ContactPoint.objects.filter(contact_id=contact_id, kind="email").values_list(
            "value", flat=True
        )
    )


def _mail(contact_id: int) -> Any:
    return MailMessage.objects.filter(from_address__in=_emails(contact_id))


def export(contact_id: int) -> dict[str, Any]:
    return {
        "interactions": rows_json(_interactions(contact_id)),
        "tasks": rows_json(Task.objects.filter(contact_id=contact_id)),
        "comments": rows_json(
            Comment.objects.filter(record_model="customers.contact", record_id=contact_id)
        ),
        "mail_messages": rows_json(_mail(contact_id), exclude=("raw",)),
    }


def erase(contact_id: int) -> dict[str, int]:
    """Erase the text of their interactions, tasks, comments and notifications, and their
    unfiled emails' raw message; what happened when (kind, direction, date) stays counted."""
    ids = list(_interactions(contact_id).values_list("pk", flat=True))
    return {
        "mail_messages": _mail(contact_id).update(raw=b"", subject=ERASED, from_address=ERASED),
        "interactions": Interaction.objects.filter(pk__in=ids).update(subject=ERASED, body=""),
        "tasks": Task.objects.filter(contact_id=contact_id).update(title=ERASED, description=""),
        "comments": Comment.objects.filter(
            record_model="customers.contact", record_id=contact_id
        ).update(body=ERASED),
        "notifications": Notification.objects.filter(
            record_model="customers.contact", record_id=contact_id
        ).update(text=ERASED),
    }


def _about_lead(model: Any, lead_id: int) -> Any:
    return model.objects.filter(record_model="sales.lead", record_id=lead_id)


def lead_export(lead_id: int) -> dict[str, Any]:
    """The interactions, tasks and comments on a lead that never became a contact."""
    return {
        "interactions": rows_json(_about_lead(Interaction, lead_id)),
        "tasks": rows_json(_about_lead(Task, lead_id)),
        "comments": rows_json(_about_lead(Comment, lead_id)),
    }


def lead_erase(lead_id: int) -> dict[str, int]:
    """Erase the text of the interactions, tasks, comments and notifications about the lead."""
    return {
        "interactions": _about_lead(Interaction, lead_id).update(subject=ERASED, body=""),
        "tasks": _about_lead(Task, lead_id).update(title=ERASED, description=""),
        "comments": _about_lead(Comment, lead_id).update(body=ERASED),
        "notifications": _about_lead(Notification, lead_id).update(text=ERASED),
    }
