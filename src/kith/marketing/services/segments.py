"""Segment writes: create, edit, delete, static-list members, and the daily refresh that keeps
each dynamic segment's members, its size history and the segment.entered/left events."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.events import event_record, events_record_many
from kith.core.validation import choice_check, text_clean, unknown_fields_check, version_check
from kith.customers.models import Contact, ContactPoint
from kith.identity.access import for_write, require, visible_to
from kith.identity.models import User
from kith.marketing.models import Segment, SegmentMember, SegmentSize
from kith.marketing.rules import rules_compile

EMAIL_RE = re.compile(r"[^\s,;<>\"']+@[^\s,;<>\"']+\.[^\s,;<>\"']+")
MAX_LIST_EMAILS = 100_000


def _snapshot(segment: Segment) -> dict[str, str]:
    return {"name": segment.name, "kind": segment.kind, "rules": str(segment.rules)}


def segment_contacts(segment: Segment, *, now: Any = None) -> QuerySet[Contact]:
    """Every contact in `segment` now (no permission filter: the caller applies its own)."""
    if segment.kind == Segment.Kind.STATIC:
        return Contact.objects.filter(
            pk__in=SegmentMember.objects.filter(segment=segment).values("contact_id")
        )
    return Contact.objects.filter(rules_compile(segment.rules, now=now))


def segment_create(*, by: User, name: str, kind: str = "dynamic", rules: Any = None) -> Segment:
    """A new segment owned by `by`; its rules are checked by compiling them (FieldError)."""
    require(by, "marketing", "create")
    errors: dict[str, str] = {}
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    choice_check(kind, Segment.Kind.values, field="kind", errors=errors)
    if errors:
        raise FieldError(errors)
    rules = rules or {}
    if kind == Segment.Kind.DYNAMIC:
        rules_compile(rules)
    elif rules:
        raise FieldError.one("rules", _("A static list has no rules."))
    with transaction.atomic():
        segment = Segment.objects.create(
            name=name, kind=kind, rules=rules, owner=by, team_id=by.team_id
        )
        changes_record(instance=segment, actor=by, before=None, after=_snapshot(segment))
    return segment


SEGMENT_EDITABLE = frozenset({"name", "rules"})


def segment_update(
    *, by: User, segment_id: int, changes: dict[str, Any], version: int | None
) -> Segment:
    """Rename a segment or change its rules (dynamic only); `version` guards a stale edit."""
    unknown_fields_check(changes, SEGMENT_EDITABLE)
    with transaction.atomic():
        segment = for_write(Segment, module="marketing", by=by, pk=segment_id, right="edit")
        version_check(segment, version)
        before = _snapshot(segment)
        errors: dict[str, str] = {}
        if "name" in changes:
            segment.name = text_clean(
                changes["name"], field="name", limit=120, errors=errors, required=True
            )
        if errors:
            raise FieldError(errors)
        if "rules" in changes:
            if segment.kind == Segment.Kind.STATIC:
                raise FieldError.one("rules", _("A static list has no rules."))
            rules_compile(changes["rules"] or {})
            segment.rules = changes["rules"] or {}
        segment.version += 1
        segment.save()
        changes_record(instance=segment, actor=by, before=before, after=_snapshot(segment))
    return segment


def segment_delete(*, by: User, segment_id: int) -> None:
    """Delete a segment with its members and size history."""
    with transaction.atomic():
        segment = for_write(Segment, module="marketing", by=by, pk=segment_id, right="delete")
        changes_record(instance=segment, actor=by, before=_snapshot(segment), after=None)
        segment.delete()


def _static(by: User, segment_id: int) -> Segment:
    segment = for_write(Segment, module="marketing", by=by, pk=segment_id, right="edit")
    if segment.kind != Segment.Kind.STATIC:
        raise FieldError.one("segment", _("Only a static list has members added by hand."))
    return segment


def _members_add(segment: Segment, contact_ids: set[int]) -> int:
    have = set(
        SegmentMember.objects.filter(segment=segment, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    )
    now = timezone.now()
    new = sorted(contact_ids - have)
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, contact_id=pk, added_at=now) for pk in new],
        batch_size=2000,
    )
    if new:
        events_record_many(
            name="segment.entered",
            model=Contact,
            object_ids=new,
            payload={"segment_id": segment.pk},
        )
    segment.size = SegmentMember.objects.filter(segment=segment).count()
    segment.save(update_fields=["size"])
    return len(new)


def segment_members_add(*, by: User, segment_id: int, contact_ids: list[int]) -> int:
    """Add the selected contacts (those `by` sees) to a static list; returns how many were new."""
    with transaction.atomic():
        segment = _static(by, segment_id)
        visible = set(
            visible_to(
                Contact.objects.filter(pk__in=contact_ids), user=by, module="contacts"
            ).values_list("pk", flat=True)
        )
        return _members_add(segment, visible)


def segment_members_remove(*, by: User, segment_id: int, contact_ids: list[int]) -> int:
    """Take contacts off a static list; returns how many were removed."""
    with transaction.atomic():
        segment = _static(by, segment_id)
        members = SegmentMember.objects.filter(segment=segment, contact_id__in=contact_ids)
        gone = list(members.values_list("contact_id", flat=True))
        members.delete()
        if gone:
            events_record_many(
                name="segment.left",
                model=Contact,
                object_ids=gone,
                payload={"segment_id": segment.pk},
            )
        segment.size = SegmentMember.objects.filter(segment=segment).count()
        segment.save(update_fields=["size"])
        return len(gone)


def segment_emails_add(*, by: User, segment_id: int, text: str) -> dict[str, int]:
    """Add to a static list the contacts (visible to `by`) with any of the email addresses in
    `text` (pasted or an uploaded file: one a line, or comma/semicolon separated, or CSV).

    Returns {"found": addresses read, "added": new members, "unknown": addresses of no contact}.
    """
    emails = {m.group(0).strip(".").lower() for m in EMAIL_RE.finditer(text or "")}
    if len(emails) > MAX_LIST_EMAILS:
        raise FieldError.one(
            "emails", _("At most %(n)d addresses at once.") % {"n": MAX_LIST_EMAILS}
        )
    with transaction.atomic():
        segment = _static(by, segment_id)
        visible = visible_to(Contact.objects.all(), user=by, module="contacts")
        matched: dict[int, str] = {}
        email_list = sorted(emails)
        for start in range(0, len(email_list), 500):
            chunk = email_list[start : start + 500]
            rows = ContactPoint.objects.filter(
                kind="email", value__in=chunk, contact__in=visible
            ).values_list("contact_id", "value")
            matched.update(dict(rows))
        added = _members_add(segment, set(matched))
    return {"found": len(emails), "added": added, "unknown": len(emails - set(matched.values()))}


def segment_refresh(*, segment: Segment, now: Any = None) -> dict[str, int]:
    """Recompute a dynamic segment's members, record today's size, and emit segment.entered /
    segment.left (one event per contact, in bulk) for the difference since the last refresh."""
    now = now or timezone.now()
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        entered: list[int] = []
        left: list[int] = []
        if segment.kind == Segment.Kind.DYNAMIC:
            current = set(segment_contacts(segment, now=now).values_list("pk", flat=True))
            before = set(
                SegmentMember.objects.filter(segment=segment).values_list("contact_id", flat=True)
            )
            entered, left = sorted(current - before), sorted(before - current)
            for start in range(0, len(left), 2000):
                SegmentMember.objects.filter(
                    segment=segment, contact_id__in=left[start : start + 2000]
                ).delete()
            SegmentMember.objects.bulk_create(
                [SegmentMember(segment=segment, contact_id=pk, added_at=now) for pk in entered],
                batch_size=2000,
            )
            payload = {"segment_id": segment.pk}
            if entered:
                events_record_many(
                    name="segment.entered", model=Contact, object_ids=entered, payload=payload
                )
            if left:
                events_record_many(
                    name="segment.left", model=Contact, object_ids=left, payload=payload
                )
            size = len(current)
        else:
            size = SegmentMember.objects.filter(segment=segment).count()
        segment.size, segment.refreshed_at = size, now
        segment.save(update_fields=["size", "refreshed_at"])
        SegmentSize.objects.update_or_create(
            segment=segment,
            day=timezone.localdate(now),
            defaults={"size": size, "entered": len(entered), "left": len(left)},
        )
        event_record(name="segment.refreshed", record=segment, payload={"size": size})
    return {"size": size, "entered": len(entered), "left": len(left)}


def segments_refresh(*, now: Any = None, progress: Any = None) -> int:
    """Refresh every segment (the daily job); returns how many were refreshed."""
    ids = list(Segment.objects.order_by("pk").values_list("pk", flat=True))
    for done, pk in enumerate(ids, start=1):
        segment_refresh(segment=Segment(pk=pk), now=now)
        if progress is not None:
            progress(done, len(ids))
    return len(ids)
