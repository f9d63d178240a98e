"""Reads of engagement, always through the permission gate `visible_to`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.models import ChangeRecord
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Company, Contact, ContactPoint
from kith.engagement.models import (
    Comment,
    EngagementPreference,
    Follow,
    Interaction,
    Mailbox,
    MailMessage,
    Notification,
    Task,
)
from kith.engagement.records import RecordRef, record_get
from kith.engagement.timeline import (
    TIMELINE_SOURCES,
    TimelineCursor,
    TimelineItem,
    TimelinePage,
    timeline_merge,
    timeline_sources_fetch,
)
from kith.identity.access import visible_to
from kith.identity.models import User

ICONS = {
    "call": "☎",
    "email": "✉",
    "meeting": "👥",
    "chat": "💬",
    "social": "#",
    "visit": "⌂",
    "note": "✎",
    "change": "↻",
    "comment": "❝",
    "order": "🛒",
    "deal": "◆",
    "ticket": "⚑",
}


def interactions_last_at(*, record_model: str, record_ids: list[int]) -> dict[int, datetime]:
    """The time of the newest interaction of each record (records without any are absent);
    one query on interaction_record_idx."""
    if not record_ids:
        return {}
    rows = (
        Interaction.objects.filter(record_model=record_model, record_id__in=record_ids)
        .values("record_id")
        .annotate(last=Max("occurred_at"))
        .values_list("record_id", "last")
    )
    return {record_id: last for record_id, last in rows if record_id is not None}


def _interaction_item(interaction: Interaction) -> TimelineItem:
    title = interaction.get_kind_display()
    if interaction.direction:
        title = f"{title} ({interaction.get_direction_display().lower()})"
    if interaction.subject:
        title = f"{title}: {interaction.subject}"
    details = []
    if interaction.channel:
        details.append(interaction.channel)
    if interaction.duration_seconds is not None:
        minutes, seconds = divmod(interaction.duration_seconds, 60)
        details.append(f"{minutes}:{seconds:02d}")
    if interaction.outcome:
        details.append(interaction.get_outcome_display())
    return TimelineItem(
        kind="interaction",
        at=interaction.occurred_at,
        key=interaction.pk,
        title=title,
        summary=interaction.body[:300],
        actor=str(interaction.owner),
        icon=interaction.kind,
        data={"kind": interaction.kind, "details": " · ".join(details)},
    )


def _interactions_page(
    interactions: QuerySet[Interaction], before: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    if before is not None:
        interactions = interactions.filter(before.q(kind="interaction", at_field="occurred_at"))
    rows = (
        interactions.select_related("owner")
        .only(*_ITEM_FIELDS)
        .order_by("-occurred_at", "-id")[:limit]
    )
    return [_interaction_item(i) for i in rows]


# Only what a timeline item shows: a page reads 25 narrow rows, not every column.
_ITEM_FIELDS = (
    "id", "kind", "direction", "channel", "occurred_at", "duration_seconds", "outcome",
    "subject", "body", "owner__id", "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip


def _with_participants(
    visible: QuerySet[Interaction],
    contact_id: int,
    before: TimelineCursor | None,
    limit: int,
    narrow: Any = None,
) -> list[TimelineItem]:
    """The contact's own interactions (interaction_contact_idx) merged with those it took part
    in as a participant (the participant table's contact index): two queries, newest first."""
    own = visible.filter(contact_id=contact_id)
    taking_part = Interaction.participant_contacts.through.objects.filter(
        contact_id=contact_id
    ).values("interaction_id")
    others = visible.filter(pk__in=taking_part).exclude(contact_id=contact_id)
    if narrow is not None:
        own, others = own.filter(narrow), others.filter(narrow)
    items, _more = timeline_merge(
        [_interactions_page(own, before, limit), _interactions_page(others, before, limit)],
        limit=limit,
    )
    return items


def interactions_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's interactions, and those it took part in, newest first."""
    visible = visible_to(Interaction.objects.all(), user=user, module="interactions")
    return _with_participants(visible, contact_id, before, limit)


def _changes_page(
    *, model: str, object_id: int, before: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    changes = ChangeRecord.objects.filter(model=model, object_id=object_id)
    if before is not None:
        changes = changes.filter(before.q(kind="change", at_field="at"))
    items = []
    rows = changes.select_related("actor").only(
        "id", "action", "field", "old_value", "new_value", "at",
        "actor__id", "actor__username", "actor__first_name", "actor__last_name",
    )  # fmt: skip
    for change in rows.order_by("-at", "-id")[:limit]:
        if change.action == ChangeRecord.Action.UPDATE:
            title = _("%(field)s changed") % {"field": change.field.replace("_", " ")}
            summary = f"{change.old_value or '—'} → {change.new_value or '—'}"
        else:
            title = str(change.get_action_display()).capitalize()
            summary = ""
        items.append(
            TimelineItem(
                kind="change",
                at=change.at,
                key=change.pk,
                title=title,
                summary=summary[:300],
                actor=str(change.actor) if change.actor else None,
                icon="change",
            )
        )
    return items


def changes_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's change history (the contact's visibility is checked by contact_timeline)."""
    return _changes_page(
        model="customers.contact", object_id=contact_id, before=before, limit=limit
    )


INTERACTION_KIND_PREFIX = "interaction:"


def timeline_kinds() -> list[tuple[str, Any]]:
    """(kind, label) of every registered timeline source, for the kind filter."""
    return [(kind, source.label) for kind, source in sorted(TIMELINE_SOURCES.items())]


def interaction_kinds() -> list[tuple[str, Any]]:
    """("interaction:call", "Call")… for the timeline filter of one kind of interaction."""
    return [(INTERACTION_KIND_PREFIX + value, label) for value, label in Interaction.Kind.choices]


def _kinds_split(kinds: Iterable[str] | None) -> tuple[set[str] | None, set[str]]:
    """Source kinds and interaction kinds ("interaction:call" → "call") of a timeline filter;
    asking for some interaction kinds asks for the interaction source, limited to them."""
    if not kinds:
        return None, set()
    sources: set[str] = set()
    subkinds: set[str] = set()
    for kind in kinds:
        if kind.startswith(INTERACTION_KIND_PREFIX):
            value = kind.removeprefix(INTERACTION_KIND_PREFIX)
            if value in Interaction.Kind.values:
                subkinds.add(value)
        else:
            sources.add(kind)
    if subkinds:
        if "interaction" in sources:  # all interactions asked for as well: no narrowing
            subkinds = set()
        sources.add("interaction")
    return sources, subkinds


def contact_timeline(
    *,
    user: User,
    contact_id: int,
    cursor: str | None = None,
    kinds: Iterable[str] | None = None,
    limit: int = 25,
) -> tuple[Contact, TimelinePage]:
    """One page of a contact's timeline; NotFound when the contact is not visible to `user`.
    `kinds` are source kinds ("ticket", "order"…) and/or interaction kinds ("interaction:call").
    Queries: 1 for the contact + 1 per source kind (2 for interactions: own and taken part in)."""
    contact = (
        visible_to(Contact.objects.all(), user=user, module="contacts")
        .filter(pk=contact_id)
        .only("id", "full_name", "owner_id", "team_id")
        .first()
    )
    if contact is None:
        raise NotFound(_("Not found."))
    sources, subkinds = _kinds_split(kinds)
    registry = dict(TIMELINE_SOURCES)
    if subkinds:

        def some_interactions(
            *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
        ) -> Iterable[TimelineItem]:
            visible = visible_to(Interaction.objects.all(), user=user, module="interactions")
            narrow = Q(kind__in=sorted(subkinds))
            return _with_participants(visible, contact_id, before, limit, narrow=narrow)

        registry["interaction"] = replace(registry["interaction"], fetch=some_interactions)
    page = timeline_sources_fetch(
        user=user, contact_id=contact.pk, cursor=cursor, kinds=sources, limit=limit,
        sources=lambda: registry,
    )  # fmt: skip
    return contact, page


COMPANY_KINDS = ("change", "interaction")


def company_timeline(
    *,
    user: User,
    company_id: int,
    cursor: str | None = None,
    kinds: Iterable[str] | None = None,
    limit: int = 25,
) -> tuple[Company, TimelinePage]:
    """One page of a company's timeline (its interactions and history); NotFound if not visible."""
    company = (
        visible_to(Company.objects.all(), user=user, module="companies")
        .filter(pk=company_id)
        .only("id", "name", "owner_id", "team_id")
        .first()
    )
    if company is None:
        raise NotFound(_("Not found."))
    before = TimelineCursor.decode(cursor) if cursor else None
    sources, subkinds = _kinds_split(kinds)
    wanted = sources or set(COMPANY_KINDS)
    streams = []
    if "interaction" in wanted:
        visible = visible_to(Interaction.objects.all(), user=user, module="interactions")
        visible = visible.filter(company_id=company.pk)
        if subkinds:
            visible = visible.filter(kind__in=sorted(subkinds))
        streams.append(_interactions_page(visible, before, limit + 1))
    if "change" in wanted:
        streams.append(
            _changes_page(
                model="customers.company", object_id=company.pk, before=before, limit=limit + 1
            )
        )
    items, more = timeline_merge(streams, limit=limit)
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = TimelineCursor(at=last.at, kind=last.kind, key=last.key).encode()
    return company, TimelinePage(items=items, next_cursor=next_cursor)


@dataclass
class InteractionFilters:
    contact_id: int | None = None
    company_id: int | None = None
    record_model: str = ""
    record_id: int | None = None
    kind: str = ""


def interactions_list(
    *, user: User, filters: InteractionFilters, cursor: str | None = None, limit: int = 50
) -> Page[Interaction]:
    """Interactions visible to the user, newest first, one keyset page (2 queries + 2 prefetch)."""
    rows = visible_to(Interaction.objects.all(), user=user, module="interactions")
    if filters.contact_id is not None:
        rows = rows.filter(contact_id=filters.contact_id)
    if filters.company_id is not None:
        rows = rows.filter(company_id=filters.company_id)
    if filters.record_model:
        rows = rows.filter(record_model=filters.record_model, record_id=filters.record_id)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    rows = rows.select_related("owner").prefetch_related(
        "participant_users", "participant_contacts"
    )
    return paginate(
        rows, ordering=Ordering("occurred_at", descending=True), cursor=cursor, limit=limit
    )


def interaction_get(*, user: User, interaction_id: int) -> Interaction:
    row = (
        visible_to(Interaction.objects.all(), user=user, module="interactions")
        .filter(pk=interaction_id)
        .select_related("owner")
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return row


# Tasks -------------------------------------------------------------------------------------


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


# Comments and notifications ----------------------------------------------------------------


def comments_for(*, record_model: str, record_id: int, limit: int = 100) -> list[Comment]:
    """A record's comments, oldest first (the caller checked the record is visible)."""
    rows = (
        Comment.objects.filter(record_model=record_model, record_id=record_id)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(rows))


def is_following(*, user: User, record_model: str, record_id: int) -> bool:
    return Follow.objects.filter(user=user, record_model=record_model, record_id=record_id).exists()


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


def comments_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """Comments on a contact (its visibility is checked by contact_timeline), newest first."""
    comments = Comment.objects.filter(record_model="customers.contact", record_id=contact_id)
    if before is not None:
        comments = comments.filter(before.q(kind="comment", at_field="created_at"))
    return [
        TimelineItem(
            kind="comment",
            at=c.created_at,
            key=c.pk,
            title=_("Comment by %(user)s") % {"user": c.author},
            summary=c.body[:1000],
            actor=str(c.author),
            icon="comment",
        )
        for c in comments.select_related("author")
        .only(
            "id",
            "body",
            "created_at",
            "author__id",
            "author__username",
            "author__first_name",
            "author__last_name",
        )
        .order_by("-created_at", "-id")[:limit]
    ]


# Records: what interactions, tasks, comments and follows can be about -----------------------


def contact_ref(*, user: User, record_id: int) -> RecordRef:
    """A contact as a record engagement can be about; NotFound if not visible."""
    row = (
        visible_to(Contact.objects.all(), user=user, module="contacts")
        .filter(pk=record_id)
        .values_list("full_name", "company_id")
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return RecordRef(
        model="customers.contact", id=record_id, label=row[0],
        url=reverse("contact-detail", args=[record_id]), contact_id=record_id, company_id=row[1],
    )  # fmt: skip


def company_ref(*, user: User, record_id: int) -> RecordRef:
    """A company as a record engagement can be about; NotFound if not visible."""
    name = (
        visible_to(Company.objects.all(), user=user, module="companies")
        .filter(pk=record_id)
        .values_list("name", flat=True)
        .first()
    )
    if name is None:
        raise NotFound(_("Not found."))
    return RecordRef(
        model="customers.company", id=record_id, label=name,
        url=reverse("company-detail", args=[record_id]), company_id=record_id,
    )  # fmt: skip


@dataclass
class RecordActivity:
    record: RecordRef
    interactions: list[Interaction]
    next_cursor: str | None
    comments: list[Comment]
    following: bool
    followers: int


def record_activity(
    *, user: User, record_model: str, record_id: int, cursor: str | None = None, limit: int = 20
) -> RecordActivity:
    """What happened around any record: its interactions the user may see (newest first, with
    participants), its comments and whether the user follows it. NotFound when the record is
    not visible. 6 queries + the record's own lookup."""
    ref = record_get(user=user, record_model=record_model, record_id=record_id)
    page = interactions_list(
        user=user,
        filters=InteractionFilters(record_model=ref.model, record_id=ref.id),
        cursor=cursor,
        limit=limit,
    )
    follows = Follow.objects.filter(record_model=ref.model, record_id=ref.id)
    return RecordActivity(
        record=ref,
        interactions=list(page.items),
        next_cursor=page.next_cursor,
        comments=comments_for(record_model=ref.model, record_id=ref.id),
        following=follows.filter(user=user).exists(),
        followers=follows.count(),
    )


def contacts_with_emails(*, user: User, emails: Iterable[str]) -> tuple[list[int], list[str]]:
    """The visible contacts having these (normalised, lower-case) email addresses, and the
    addresses no visible contact has. One query."""
    wanted = list(dict.fromkeys(emails))
    if not wanted:
        return [], []
    visible = visible_to(Contact.objects.all(), user=user, module="contacts")
    rows = ContactPoint.objects.filter(
        kind=ContactPoint.Kind.EMAIL, value__in=wanted, contact__in=visible
    ).values_list("contact_id", "value")
    found: dict[str, int] = {}
    for contact_id, value in rows.order_by("contact_id"):
        found.setdefault(value, contact_id)
    return list(dict.fromkeys(found[e] for e in wanted if e in found)), [
        e for e in wanted if e not in found
    ]


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
