"""Contacts: create, update, delete, each validated field group by field group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import Conflict, FieldError
from kith.core.events import change_event_record
from kith.core.validation import choice_check, text_clean, unknown_fields_check, version_check
from kith.customers.indexing import display_name
from kith.customers.models import Company, Contact
from kith.customers.points import phone_region_choose
from kith.customers.services.contact_points import (
    POINT_LISTS,
    addresses_changed,
    addresses_replace,
    contact_reindex,
    points_changed,
    points_replace,
)
from kith.customers.services.records import custom_apply, owner_apply
from kith.customers.services.tags import tag_names_clean, tags_resolve
from kith.identity.access import for_write, require, visible_to
from kith.identity.models import User

MODEL = "customers.contact"
CONTACT_FIELDS = frozenset(
    {
        "first_name", "last_name", "full_name", "title", "company_id", "lifecycle_stage",
        "source_channel", "owner_id", "emails", "phones", "socials", "tags", "custom", "addresses",
        "phone_region",
    }
)  # fmt: skip
NAME_LIMITS = (("first_name", 100), ("last_name", 100), ("full_name", 200), ("title", 120))


def contact_snapshot(contact: Contact) -> dict[str, str]:
    """The contact's tracked values as display text, for its history."""
    points = sorted(contact.points.all(), key=lambda p: (not p.is_primary, p.value))
    values = {
        "full_name": contact.full_name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "company": contact.company.name if contact.company_id and contact.company else "",
        "lifecycle_stage": contact.lifecycle_stage,
        "source_channel": contact.source_channel,
        "owner": str(contact.owner) if contact.owner_id else "",
        "team": str(contact.team) if contact.team_id and contact.team else "",
        "tags": ", ".join(sorted(t.name for t in contact.tags.all())),
        "addresses": "; ".join(str(a) for a in contact.addresses.all()),
    }
    for list_name, kind in POINT_LISTS.items():
        values[list_name] = ", ".join(p.value for p in points if p.kind == kind)
    for key, value in sorted(contact.custom.items()):
        values[f"custom.{key}"] = str(value)
    return values


# --- field groups: each sets what `changes` names on the (unsaved) contact ------------------


def _names_apply(
    contact: Contact, changes: Mapping[str, Any], creating: bool, errors: dict[str, str]
) -> None:
    for name, limit in NAME_LIMITS:
        if name in changes:
            setattr(
                contact, name, text_clean(changes[name], field=name, limit=limit, errors=errors)
            )
    if not contact.full_name and ("first_name" in changes or "last_name" in changes or creating):
        contact.full_name = display_name(first_name=contact.first_name, last_name=contact.last_name)
    if not contact.full_name:
        errors["full_name"] = _("Enter a name.")


def _stage_and_channel_apply(
    contact: Contact, changes: Mapping[str, Any], errors: dict[str, str]
) -> None:
    if "lifecycle_stage" in changes:
        contact.lifecycle_stage = str(changes["lifecycle_stage"] or Contact.Stage.LEAD)
        choice_check(
            contact.lifecycle_stage, Contact.Stage.values, field="lifecycle_stage", errors=errors
        )
    if "source_channel" in changes:
        contact.source_channel = str(changes["source_channel"] or Contact.Channel.OTHER)
        choice_check(
            contact.source_channel, Contact.Channel.values, field="source_channel", errors=errors
        )


def _company_apply(
    by: User, contact: Contact, changes: Mapping[str, Any], errors: dict[str, str]
) -> None:
    if "company_id" not in changes:
        return
    company_id = changes["company_id"]
    contact.company = None
    if not company_id:
        return
    company = (
        visible_to(Company.objects.all(), user=by, module="companies").filter(pk=company_id).first()
    )
    if company is None:
        errors["company_id"] = _("This company does not exist or is not visible to you.")
    else:
        contact.company = company


def _phone_region(*, by: User, contact: Contact, changes: Mapping[str, Any], creating: bool) -> str:
    """Where the contact's local phone numbers are read: the form's country picker
    (`phone_region`), the country of the contact's (new or current) addresses, the user's
    region, the team's, the setting."""
    addresses = changes.get("addresses")
    if addresses is None and not creating:
        addresses = list(contact.addresses.values("country"))
    countries = [str((a or {}).get("country") or "") for a in addresses or ()]
    team = by.team if by.team_id else None
    return phone_region_choose(
        str(changes.get("phone_region") or ""),
        *countries,
        by.phone_region,
        team.phone_region if team is not None else "",
    )


def _contact_apply(
    *, by: User, contact: Contact, changes: Mapping[str, Any], creating: bool
) -> dict[str, Any]:
    """Validate `changes` and set them on `contact` (unsaved). Returns the related-row changes:
    points (list[PointInput] or None), tags, addresses. Raises FieldError with every problem."""
    errors: dict[str, str] = {}
    _names_apply(contact, changes, creating, errors)
    _stage_and_channel_apply(contact, changes, errors)
    _company_apply(by, contact, changes, errors)
    owner_apply(
        by=by, record=contact, changes=changes, creating=creating, module="contacts", errors=errors
    )
    custom_apply(record=contact, model=MODEL, changes=changes, creating=creating, errors=errors)
    related: dict[str, Any] = {
        "points": points_changed(
            contact=contact,
            changes=changes,
            creating=creating,
            errors=errors,
            region=_phone_region(by=by, contact=contact, changes=changes, creating=creating)
            if changes.get("phones")
            else None,
        ),
        "tags": tag_names_clean(changes["tags"], errors) if "tags" in changes else None,
        "addresses": addresses_changed(changes=changes, errors=errors),
    }
    if errors:
        raise FieldError(errors)
    return related


def _contact_save_related(contact: Contact, related: Mapping[str, Any]) -> None:
    """Replace the points, tags and addresses that the change named, then reindex and save."""
    if related["points"] is not None:
        points_replace(contact, related["points"])
    if related["tags"] is not None:
        contact.tags.set(tags_resolve(related["tags"]))
    if related["addresses"] is not None:
        addresses_replace(contact, related["addresses"])
    # Drop cached relations so the snapshot and reindex see what was just written.
    contact._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    contact_reindex(contact, list(contact.points.all()))
    contact.save()


# --- services -------------------------------------------------------------------------------


@transaction.atomic
def contact_create(
    *,
    by: User,
    full_name: str = "",
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    company_id: int | None = None,
    lifecycle_stage: str = Contact.Stage.LEAD,
    source_channel: str = Contact.Channel.OTHER,
    owner_id: int | None = None,
    emails: Iterable[Any] = (),
    phones: Iterable[Any] = (),
    socials: Iterable[Any] = (),
    tags: Iterable[str] = (),
    custom: Mapping[str, Any] | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    phone_region: str = "",
) -> Contact:
    """Create a contact with its emails, phones, social handles, tags and addresses; phone
    numbers without a country code are read in `phone_region` (else see _phone_region)."""
    require(by, "contacts", "create")
    changes = {
        "full_name": full_name, "first_name": first_name, "last_name": last_name, "title": title,
        "company_id": company_id, "lifecycle_stage": lifecycle_stage, "source_channel": source_channel,
        "owner_id": owner_id, "emails": list(emails), "phones": list(phones), "socials": list(socials),
        "tags": list(tags), "custom": dict(custom or {}), "addresses": list(addresses),
        "phone_region": phone_region,
    }  # fmt: skip
    contact = Contact(custom={})
    related = _contact_apply(by=by, contact=contact, changes=changes, creating=True)
    contact.save()
    _contact_save_related(contact, related)
    history = changes_record(instance=contact, actor=by, before=None, after={})
    change_event_record(entity="contact", record=contact, actor=by, changes=history)
    return contact


@transaction.atomic
def contact_update(*, by: User, contact_id: int, version: int | None, **changes: Any) -> Contact:
    """Change the named fields of a contact; lists (emails, phones, socials, tags, addresses)
    replace the whole set. Refused with StaleEdit when `version` is not the current one."""
    unknown_fields_check(changes, CONTACT_FIELDS)
    contact = for_write(Contact, module="contacts", by=by, pk=contact_id, right="edit")
    version_check(contact, version)
    before = contact_snapshot(contact)
    related = _contact_apply(by=by, contact=contact, changes=changes, creating=False)
    contact.version += 1
    _contact_save_related(contact, related)
    history = changes_record(
        instance=contact, actor=by, before=before, after=contact_snapshot(contact)
    )
    change_event_record(entity="contact", record=contact, actor=by, changes=history)
    return contact


@transaction.atomic
def contact_delete(*, by: User, contact_id: int) -> None:
    """Delete a contact with its points, addresses, relationships and consents."""
    contact = for_write(Contact, module="contacts", by=by, pk=contact_id, right="delete")
    history = changes_record(
        instance=contact, actor=by, before=contact_snapshot(contact), after=None
    )
    change_event_record(entity="contact", record=contact, actor=by, changes=history)
    try:
        contact.delete()
    except ProtectedError as exc:  # raised before anything is deleted; history rolls back
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        raise Conflict(
            _(
                "%(name)s cannot be deleted while these records refer to them: %(kinds)s. "
                "They are kept for the figures; erase the contact's personal data instead."
            )
            % {"name": contact.full_name, "kinds": ", ".join(kinds)}
        ) from exc
