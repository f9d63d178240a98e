"""The contact and company timelines: the registered sources merged newest first, the kind
filter, and engagement's own sources (interactions, history, comments)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kith.core.errors import NotFound
from kith.core.models import ChangeRecord
from kith.customers.models import Company, Contact
from kith.engagement.models import Comment, Interaction
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


def duration_words(seconds: int) -> str:
    """A length of time in words, in the active language: 720 -> "12 minutes", 3900 -> "1 hour
    5 minutes", 40 -> "40 seconds", 6 days 18 h 5 min -> "6 days 18 hours" (rounded to the
    minute from one minute on; days drop the minutes)."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = (seconds + 30) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
        minutes = 0
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


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
        details.append(duration_words(interaction.duration_seconds))
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


def _field_label(model: str, name: str) -> tuple[str, dict[str, str]]:
    """The translated label of a changed field and the names of its stored choice values
    ("lifecycle_stage", "lead" → "Lifecycle stage", "Lead"); other fields read as their name."""
    try:
        field = apps.get_model(model)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return name.replace("_", " "), {}
    label = str(capfirst(getattr(field, "verbose_name", name)))
    choices = {str(k): str(v) for k, v in getattr(field, "flatchoices", None) or ()}
    return label, choices


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
            label, choices = _field_label(model, change.field)
            title = _("%(field)s changed") % {"field": label}
            old = choices.get(change.old_value, change.old_value)
            new = choices.get(change.new_value, change.new_value)
            summary = f"{old or '—'} → {new or '—'}"
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
