"""Notifications (the inbox, emailed when asked) and each user's engagement preferences."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from kith.engagement.models import EngagementPreference, Notification
from kith.identity.models import User


def notification_create(
    *,
    recipient: User,
    kind: str,
    text: str,
    url: str = "",
    actor: User | None = None,
    record_model: str = "",
    record_id: int | None = None,
    email: bool = False,
) -> Notification:
    """Put a notification in the recipient's inbox; also email it when `email` is true and the
    recipient has an address (sent after commit, a failed send never undoes the notification)."""
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind[:32],
        text=text[:500],
        url=url[:500],
        actor=actor,
        record_model=record_model,
        record_id=record_id,
    )
    if email and recipient.email:
        transaction.on_commit(lambda: _notification_email(notification))
    return notification


def _notification_email(notification: Notification) -> None:
    link = f"{settings.KITH_BASE_URL}{notification.url}" if notification.url else ""
    EmailMessage(
        subject=notification.text[:120],
        body="\n\n".join(p for p in [notification.text, link] if p),
        to=[notification.recipient.email],
    ).send(fail_silently=True)


def notifications_mark_read(*, by: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(recipient=by, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


def preference_get(*, user: User) -> EngagementPreference:
    """The user's engagement preferences, created on first use."""
    preference, _created = EngagementPreference.objects.get_or_create(user=user)
    return preference


def preference_update(*, by: User, email_reminders: bool) -> EngagementPreference:
    """Turn the user's reminder emails on or off."""
    preference = preference_get(user=by)
    preference.email_reminders = email_reminders
    preference.save(update_fields=["email_reminders"])
    return preference


def calendar_token_reset(*, by: User) -> EngagementPreference:
    """A new secret for the user's calendar feed; the old URL stops working."""
    import secrets

    preference = preference_get(user=by)
    preference.calendar_token = secrets.token_urlsafe(24)
    preference.save(update_fields=["calendar_token"])
    return preference
