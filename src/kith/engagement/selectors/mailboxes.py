"""Mailboxes and the messages that could not be filed (administrators)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.engagement.models import Mailbox, MailMessage
from kith.identity.models import User


def unfiled_messages(
    *, user: User, cursor: str | None = None, limit: int = 50
) -> Page[MailMessage]:
    """Mail messages that could not be filed, newest first (admins and managers of all records)."""
    from kith.identity.access import is_admin

    rows = MailMessage.objects.filter(status=MailMessage.Status.UNFILED).select_related("mailbox")
    if not is_admin(user):
        rows = rows.none()
    return paginate(
        rows.defer("raw"),
        ordering=Ordering("received_at", descending=True),
        cursor=cursor,
        limit=limit,
    )


def mailboxes_list(*, user: User) -> list[Mailbox]:
    """Every mailbox with its count of unfiled messages (`unfiled`), for administrators; an
    empty list for anyone else. One query."""
    from kith.identity.access import is_admin

    if not is_admin(user):
        return []
    return list(
        Mailbox.objects.select_related("owner")
        .annotate(unfiled=Count("messages", filter=Q(messages__status=MailMessage.Status.UNFILED)))
        .order_by("name")
    )


def mailbox_get(*, user: User, mailbox_id: int) -> Mailbox:
    """One mailbox, for administrators; NotFound for anyone else."""
    from kith.identity.access import is_admin

    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if is_admin(user) else None
    if mailbox is None:
        raise NotFound(_("Not found."))
    return mailbox
