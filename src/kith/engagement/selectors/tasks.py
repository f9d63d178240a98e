"""Tasks: lists, my day, a contact's tasks, one task, and the calendar feed's entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.apps import SearchHit
from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Contact
from kith.engagement.models import EngagementPreference, Interaction, Task
from kith.identity.access import visible_to
from kith.identity.models import User


@dataclass
class TaskFilters:
    mine: bool = True
    status: str = "open"
    contact_id: int | None = None
    overdue: bool = False


def tasks_list(
    *, user: User, filters: TaskFilters, cursor: str | None = None, limit: int = 50
) -> Page[Task]:
    """Tasks visible to the user by due time (no due time last…first: ordered by id then),
    one keyset page: 1 query."""
    rows = visible_to(Task.objects.all(), user=user, module="tasks")
    if filters.mine:
        rows = rows.filter(owner_id=user.pk)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.contact_id is not None:
        rows = rows.filter(contact_id=filters.contact_id)
    if filters.overdue:
        rows = rows.filter(due_at__lt=timezone.now())
    rows = rows.filter(due_at__isnull=False).select_related("owner", "contact", "company")
    return paginate(rows, ordering=Ordering("due_at"), cursor=cursor, limit=limit)


@dataclass
class MyDay:
    overdue: list[Task]
    today: list[Task]
    undated: list[Task]
    meetings: list[Interaction]


def my_day(*, user: User, now: datetime | None = None, limit: int = 100) -> MyDay:
    """The user's overdue and due-today open tasks, open tasks without a due time, and today's
    meetings (logged by the user or with the user taking part). 4 queries, 2 more for the
    meetings' participants when there are meetings."""
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    mine = (
        visible_to(Task.objects.all(), user=user, module="tasks")
        .filter(owner_id=user.pk, status=Task.Status.OPEN)
        .select_related("contact", "company", "owner")
    )
    taking_part = Interaction.participant_users.through.objects.filter(user_id=user.pk).values(
        "interaction_id"
    )
    meetings = (
        Interaction.objects.filter(
            kind=Interaction.Kind.MEETING, occurred_at__gte=start, occurred_at__lt=end
        )
        .filter(Q(owner_id=user.pk) | Q(pk__in=taking_part))
        .select_related("contact", "owner")
        .prefetch_related("participant_users", "participant_contacts")
        .order_by("occurred_at", "id")
    )
    return MyDay(
        overdue=list(mine.filter(due_at__lt=now).order_by("due_at", "id")[:limit]),
        today=list(mine.filter(due_at__gte=now, due_at__lt=end).order_by("due_at", "id")[:limit]),
        undated=list(mine.filter(due_at__isnull=True).order_by("-priority", "id")[:limit]),
        meetings=list(meetings[:limit]),
    )


def contact_tasks(*, user: User, contact_id: int, limit: int = 20) -> tuple[Contact, list[Task]]:
    """A contact's open tasks by due time; NotFound if the contact is not visible."""
    contact = (
        visible_to(Contact.objects.all(), user=user, module="contacts")
        .filter(pk=contact_id)
        .only("id", "full_name", "owner_id", "team_id")
        .first()
    )
    if contact is None:
        raise NotFound(_("Not found."))
    tasks = (
        visible_to(Task.objects.all(), user=user, module="tasks")
        .filter(contact_id=contact.pk, status=Task.Status.OPEN)
        .select_related("owner")
        .order_by("due_at", "id")[:limit]
    )
    return contact, list(tasks)


def task_get(*, user: User, task_id: int) -> Task:
    """One task visible to the user, with owner, contact and company; NotFound otherwise."""
    row = (
        visible_to(Task.objects.all(), user=user, module="tasks")
        .filter(pk=task_id)
        .select_related("owner", "contact", "company")
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return row


def calendar_owner(*, token: str) -> User | None:
    """The active user whose calendar feed has this secret token."""
    preference = (
        EngagementPreference.objects.filter(calendar_token=token, user__is_active=True)
        .select_related("user")
        .first()
    )
    return preference.user if preference else None


def calendar_entries(
    *, user: User, since: datetime | None = None, limit: int = 2000
) -> tuple[list[Task], list[Interaction]]:
    """The user's tasks with a due time, and the meetings they logged or take part in, from
    `since` (default: 90 days ago)."""
    since = since or timezone.now() - timedelta(days=90)
    tasks = list(
        Task.objects.filter(owner_id=user.pk, due_at__gte=since)
        .exclude(status=Task.Status.CANCELLED)
        .order_by("due_at", "id")[:limit]
    )
    # Meetings the user logged or takes part in (the participant rows are indexed by user).
    taking_part = Interaction.participant_users.through.objects.filter(user_id=user.pk).values(
        "interaction_id"
    )
    meetings = list(
        Interaction.objects.filter(kind=Interaction.Kind.MEETING, occurred_at__gte=since)
        .filter(Q(owner_id=user.pk) | Q(pk__in=taking_part))
        .order_by("occurred_at", "id")[:limit]
    )
    return tasks, meetings


def palette_search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """Tasks by title, open ones first, then by due time: one query."""
    rows = (
        visible_to(Task.objects.all(), user=user, module="tasks")
        .filter(title__icontains=query)
        .order_by("-status", "due_at", "-id")  # "open" sorts after "done": descending puts it first
        .values_list("id", "title", "due_at", "status")[:limit]
    )
    return [
        SearchHit("task", gettext_lazy("Tasks"), title,
                  str(Task.Status(status).label) + (f" · {date_format(timezone.localtime(due), 'SHORT_DATETIME_FORMAT')}" if due else ""),
                  "task-edit", (pk,))
        for pk, title, due, status in rows
    ]  # fmt: skip
