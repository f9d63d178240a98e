"""The user's notifications and the unread count."""

from __future__ import annotations

from kith.core.pagination import Ordering, Page, paginate
from kith.engagement.models import Notification
from kith.identity.models import User


def notifications_list(
    *, user: User, unread_only: bool = False, cursor: str | None = None, limit: int = 50
) -> Page[Notification]:
    """The user's notifications, newest first: 1 query per page."""
    rows = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return paginate(
        rows, ordering=Ordering("created_at", descending=True), cursor=cursor, limit=limit
    )


def notifications_unread_count(*, user: User, cap: int = 100) -> int:
    """How many unread notifications the user has, counted up to `cap` (1 query)."""
    return len(
        Notification.objects.filter(recipient=user, read_at__isnull=True).values_list(
            "pk", flat=True
        )[:cap]
    )
