"""Bulk actions on the contact list: tag and assign many contacts at once."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kith.core.events import events_record_many
from kith.core.models import ChangeRecord
from kith.core.text import clean
from kith.customers.models import Contact
from kith.customers.services.records import versions_bump
from kith.customers.services.tags import tags_resolve
from kith.identity.access import owner_resolve, require, visible_to
from kith.identity.models import User


def _contacts_for_bulk(*, by: User, contact_ids: Iterable[int]) -> QuerySet[Contact]:
    require(by, "contacts", "edit")
    ids = list(dict.fromkeys(int(i) for i in contact_ids))
    return visible_to(Contact.objects.filter(pk__in=ids), user=by, module="contacts")


@transaction.atomic
def contacts_bulk_tag(
    *, by: User, contact_ids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()
) -> int:
    """Add and remove tags on many contacts at once; returns how many contacts changed."""
    contacts = list(_contacts_for_bulk(by=by, contact_ids=contact_ids).prefetch_related("tags"))
    add_tags = tags_resolve(add)
    remove_names = {clean(n) for n in remove}
    through = Contact.tags.through
    history: list[ChangeRecord] = []
    changed: list[Contact] = []
    new_links = []
    removed_pairs: list[tuple[int, int]] = []
    for contact in contacts:
        current = {t.name: t for t in contact.tags.all()}
        after = {n: t for n, t in current.items() if n not in remove_names}
        after.update({t.name: t for t in add_tags})
        if set(after) == set(current):
            continue
        new_links += [
            through(contact_id=contact.pk, tag_id=t.pk)
            for n, t in after.items()
            if n not in current
        ]
        removed_pairs += [(contact.pk, t.pk) for n, t in current.items() if n not in after]
        history.append(
            ChangeRecord(
                model="customers.contact", object_id=contact.pk, action="update", field="tags",
                old_value=", ".join(sorted(current)), new_value=", ".join(sorted(after)), actor=by,
            )
        )  # fmt: skip
        changed.append(contact)
    through.objects.bulk_create(new_links, ignore_conflicts=True)
    for contact_id, tag_id in removed_pairs:
        through.objects.filter(contact_id=contact_id, tag_id=tag_id).delete()
    versions_bump(Contact, [c.pk for c in changed])
    ChangeRecord.objects.bulk_create(history)
    events_record_many(
        name="contact.updated", model=Contact, object_ids=[c.pk for c in changed], actor=by,
        payload={"changed": ["tags"]},
    )  # fmt: skip
    return len(changed)


@transaction.atomic
def contacts_bulk_assign(*, by: User, contact_ids: Iterable[int], owner_id: int) -> int:
    """Give many contacts a new owner (and the owner's team); returns how many changed."""
    owner = owner_resolve(by=by, owner_id=owner_id, module="contacts")
    contacts = list(
        _contacts_for_bulk(by=by, contact_ids=contact_ids)
        .exclude(owner=owner)
        .select_related("owner")
    )
    history = [
        ChangeRecord(
            model="customers.contact", object_id=c.pk, action="update", field="owner",
            old_value=str(c.owner), new_value=str(owner), actor=by,
        )
        for c in contacts
    ]  # fmt: skip
    ids = [c.pk for c in contacts]
    Contact.objects.filter(pk__in=ids).update(
        owner=owner, team_id=owner.team_id, updated_at=timezone.now()
    )
    versions_bump(Contact, ids)
    ChangeRecord.objects.bulk_create(history)
    events_record_many(
        name="contact.updated", model=Contact, object_ids=ids, actor=by,
        payload={"changed": ["owner", "team"]},
    )  # fmt: skip
    return len(ids)
