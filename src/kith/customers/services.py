"""Writes for companies, contacts, relationships and consents.

Every service checks access through kith.identity.access, validates and normalises input
(raising FieldError keyed by field, e.g. "emails.0"), writes atomically, bumps the record's
version and records each changed field in the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Func, JSONField, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.custom_fields import custom_values_clean
from kith.core.errors import FieldError, Forbidden, NotFound, StaleEdit
from kith.core.models import ChangeRecord, CustomField, Tag
from kith.core.text import clean
from kith.customers.indexing import company_index_fields, contact_index_fields, display_name
from kith.customers.models import Address, Company, Consent, Contact, ContactPoint, Relationship
from kith.customers.normalise import domain_normalise
from kith.customers.points import PointInput, addresses_clean, points_clean
from kith.identity.access import is_admin, require, visible_to
from kith.identity.models import User
from kith.identity.selectors import users_assignable

CONTACT_FIELDS = frozenset(
    {
        "first_name", "last_name", "full_name", "title", "company_id", "lifecycle_stage",
        "source_channel", "owner_id", "emails", "phones", "socials", "tags", "custom", "addresses",
    }
)  # fmt: skip
COMPANY_FIELDS = frozenset(
    {"name", "domain", "industry", "size", "parent_id", "owner_id", "tags", "custom"}
)
POINT_LISTS = {
    "emails": ContactPoint.Kind.EMAIL,
    "phones": ContactPoint.Kind.PHONE,
    "socials": ContactPoint.Kind.SOCIAL,
}
MAX_TAG = 64


# --- shared steps -------------------------------------------------------------------------


def _owner_resolve(*, by: User, owner_id: int | None, module: str) -> User:
    """The owner to give a record: `by` unless another user is named and assignable by `by`."""
    if owner_id is None or owner_id == by.pk:
        return by
    owner = users_assignable(user=by, module=module).filter(pk=owner_id).first()
    if owner is None:
        raise FieldError.one("owner_id", _("You cannot assign records to this user."))
    return owner


def _tags_resolve(names: Iterable[str]) -> list[Tag]:
    """Tags by name, creating the missing ones (two queries whatever the count)."""
    wanted = list(dict.fromkeys(clean(n)[:MAX_TAG] for n in names if clean(n)))
    if not wanted:
        return []
    Tag.objects.bulk_create([Tag(name=n) for n in wanted], ignore_conflicts=True)
    by_name = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [by_name[n] for n in wanted]


def _choice_check(value: str, choices: Iterable[str], field: str, errors: dict[str, str]) -> None:
    if value not in set(choices):
        errors[field] = _("“%(value)s” is not a valid choice.") % {"value": value}


def _text(value: Any, field: str, limit: int, errors: dict[str, str]) -> str:
    text = clean(str(value or ""))
    if len(text) > limit:
        errors[field] = _("Use at most %(n)d characters.") % {"n": limit}
    return text


def _unknown_fields_check(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise FieldError({name: _("This field cannot be changed.") for name in unknown})


def _version_check(record: Contact | Company, version: int) -> None:
    if record.version != version:
        raise StaleEdit(
            _(
                "%(name)s was changed by someone else since you opened it "
                "(version %(theirs)d, yours %(yours)d). Reload to see their changes."
            )
            % {"name": str(record), "theirs": record.version, "yours": version}
        )


# --- contacts -----------------------------------------------------------------------------


def _contact_snapshot(contact: Contact) -> dict[str, str]:
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


def _contact_reindex(contact: Contact, points: Sequence[PointInput | ContactPoint]) -> None:
    """Recompute the denormalised primaries and the search/sort keys from `points`."""
    by_kind: dict[str, list[str]] = {kind: [] for kind in POINT_LISTS.values()}
    primary: dict[str, str] = {}
    for p in points:
        by_kind[p.kind].append(p.value)
        if p.is_primary:
            primary[p.kind] = p.value
    contact.primary_email = primary.get(ContactPoint.Kind.EMAIL, "")
    contact.primary_phone = primary.get(ContactPoint.Kind.PHONE, "")
    keys = contact_index_fields(
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        emails=by_kind[ContactPoint.Kind.EMAIL],
        phones=by_kind[ContactPoint.Kind.PHONE],
        socials=by_kind[ContactPoint.Kind.SOCIAL],
        company_name=contact.company.name if contact.company_id and contact.company else "",
    )
    for name, value in keys.items():
        setattr(contact, name, value)


def _contact_apply(
    *, by: User, contact: Contact, changes: Mapping[str, Any], creating: bool
) -> dict[str, Any]:
    """Validate `changes` and set them on `contact` (unsaved). Returns the related-row changes:
    points (list[PointInput] or None), tags, addresses. Raises FieldError with every problem."""
    errors: dict[str, str] = {}
    for name, limit in (
        ("first_name", 100),
        ("last_name", 100),
        ("full_name", 200),
        ("title", 120),
    ):
        if name in changes:
            setattr(contact, name, _text(changes[name], name, limit, errors))
    if not contact.full_name and ("first_name" in changes or "last_name" in changes or creating):
        contact.full_name = display_name(first_name=contact.first_name, last_name=contact.last_name)
    if not contact.full_name:
        errors["full_name"] = _("Enter a name.")
    if "lifecycle_stage" in changes:
        contact.lifecycle_stage = str(changes["lifecycle_stage"] or Contact.Stage.LEAD)
        _choice_check(contact.lifecycle_stage, Contact.Stage.values, "lifecycle_stage", errors)
    if "source_channel" in changes:
        contact.source_channel = str(changes["source_channel"] or Contact.Channel.OTHER)
        _choice_check(contact.source_channel, Contact.Channel.values, "source_channel", errors)
    if "company_id" in changes:
        company_id = changes["company_id"]
        contact.company = None
        if company_id:
            company = (
                visible_to(Company.objects.all(), user=by, module="companies")
                .filter(pk=company_id)
                .first()
            )
            if company is None:
                errors["company_id"] = _("This company does not exist or is not visible to you.")
            else:
                contact.company = company
    if "owner_id" in changes or creating:
        try:
            owner = _owner_resolve(by=by, owner_id=changes.get("owner_id"), module="contacts")
            contact.owner = owner
            contact.team_id = owner.team_id
        except FieldError as exc:
            errors.update(exc.errors)
    if "custom" in changes:
        try:
            contact.custom = custom_values_clean(
                model="customers.contact", values=changes["custom"] or {}, existing=contact.custom
            )
        except FieldError as exc:
            errors.update(exc.errors)
    elif creating:
        try:
            contact.custom = custom_values_clean(model="customers.contact", values={}, existing={})
        except FieldError as exc:
            errors.update(exc.errors)
    related: dict[str, Any] = {"points": None, "tags": None, "addresses": None}
    if any(name in changes for name in POINT_LISTS):
        current = [] if creating else list(contact.points.all())
        points: list[PointInput] = []
        for list_name, kind in POINT_LISTS.items():
            if list_name in changes:
                points += points_clean(kind, changes[list_name] or (), errors)
            else:
                points += [
                    PointInput(kind=p.kind, value=p.value, label=p.label, is_primary=p.is_primary)
                    for p in current
                    if p.kind == kind
                ]
        related["points"] = points
    if "tags" in changes:
        names = [clean(str(n)) for n in changes["tags"] or ()]
        if any(len(n) > MAX_TAG for n in names):
            errors["tags"] = _("Use at most %(n)d characters per tag.") % {"n": MAX_TAG}
        related["tags"] = names
    if "addresses" in changes:
        related["addresses"] = addresses_clean(changes["addresses"] or (), errors)
    if errors:
        raise FieldError(errors)
    return related


def _contact_save_related(contact: Contact, related: Mapping[str, Any]) -> None:
    """Replace the points, tags and addresses that the change named, then reindex and save."""
    if related["points"] is not None:
        contact.points.all().delete()
        ContactPoint.objects.bulk_create(
            [
                ContactPoint(
                    contact=contact,
                    kind=p.kind,
                    value=p.value,
                    label=p.label,
                    is_primary=p.is_primary,
                )
                for p in related["points"]
            ]
        )
    if related["tags"] is not None:
        contact.tags.set(_tags_resolve(related["tags"]))
    if related["addresses"] is not None:
        contact.addresses.all().delete()
        Address.objects.bulk_create(
            [Address(contact=contact, **row) for row in related["addresses"]]
        )
    # Drop cached relations so the snapshot and reindex see what was just written.
    contact._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    _contact_reindex(contact, list(contact.points.all()))
    contact.save()


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
) -> Contact:
    """Create a contact with its emails, phones, social handles, tags and addresses."""
    require(by, "contacts", "create")
    changes = {
        "full_name": full_name, "first_name": first_name, "last_name": last_name, "title": title,
        "company_id": company_id, "lifecycle_stage": lifecycle_stage, "source_channel": source_channel,
        "owner_id": owner_id, "emails": list(emails), "phones": list(phones), "socials": list(socials),
        "tags": list(tags), "custom": dict(custom or {}), "addresses": list(addresses),
    }  # fmt: skip
    contact = Contact(custom={})
    related = _contact_apply(by=by, contact=contact, changes=changes, creating=True)
    contact.save()
    _contact_save_related(contact, related)
    changes_record(instance=contact, actor=by, before=None, after={})
    return contact


def _contact_for_write(*, by: User, contact_id: int, right: str) -> Contact:
    contact = (
        visible_to(Contact.objects.select_for_update(of=("self",)), user=by, module="contacts")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound(_("Not found."))
    require(by, "contacts", right, contact)
    return contact


@transaction.atomic
def contact_update(*, by: User, contact_id: int, version: int, **changes: Any) -> Contact:
    """Change the named fields of a contact; lists (emails, phones, socials, tags, addresses)
    replace the whole set. Refused with StaleEdit when `version` is not the current one."""
    _unknown_fields_check(changes, CONTACT_FIELDS)
    contact = _contact_for_write(by=by, contact_id=contact_id, right="edit")
    _version_check(contact, version)
    before = _contact_snapshot(contact)
    related = _contact_apply(by=by, contact=contact, changes=changes, creating=False)
    contact.version += 1
    _contact_save_related(contact, related)
    changes_record(instance=contact, actor=by, before=before, after=_contact_snapshot(contact))
    return contact


@transaction.atomic
def contact_delete(*, by: User, contact_id: int) -> None:
    """Delete a contact with its points, addresses, relationships and consents."""
    contact = _contact_for_write(by=by, contact_id=contact_id, right="delete")
    changes_record(instance=contact, actor=by, before=_contact_snapshot(contact), after=None)
    contact.delete()


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
    add_tags = _tags_resolve(add)
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
    _versions_bump(Contact, [c.pk for c in changed])
    ChangeRecord.objects.bulk_create(history)
    return len(changed)


@transaction.atomic
def contacts_bulk_assign(*, by: User, contact_ids: Iterable[int], owner_id: int) -> int:
    """Give many contacts a new owner (and the owner's team); returns how many changed."""
    owner = _owner_resolve(by=by, owner_id=owner_id, module="contacts")
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
    _versions_bump(Contact, ids)
    ChangeRecord.objects.bulk_create(history)
    return len(ids)


def _versions_bump(model: type[Contact] | type[Company], ids: list[int]) -> None:
    if ids:
        model.objects.filter(pk__in=ids).update(version=F("version") + 1, updated_at=timezone.now())


# --- companies ----------------------------------------------------------------------------


def _company_snapshot(company: Company) -> dict[str, str]:
    values = {
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "size": company.size,
        "parent": company.parent.name if company.parent_id and company.parent else "",
        "owner": str(company.owner) if company.owner_id else "",
        "team": str(company.team) if company.team_id and company.team else "",
        "tags": ", ".join(sorted(t.name for t in company.tags.all())),
    }
    for key, value in sorted(company.custom.items()):
        values[f"custom.{key}"] = str(value)
    return values


def _company_apply(
    *, by: User, company: Company, changes: Mapping[str, Any], creating: bool
) -> list[str] | None:
    """Validate and set `changes` on `company` (unsaved); returns tag names to set, or None."""
    errors: dict[str, str] = {}
    if "name" in changes:
        company.name = _text(changes["name"], "name", 200, errors)
    if not company.name:
        errors["name"] = _("Enter a name.")
    if "domain" in changes:
        try:
            company.domain = domain_normalise(str(changes["domain"] or ""))
        except ValueError as exc:
            errors["domain"] = str(exc)
    if "industry" in changes:
        company.industry = _text(changes["industry"], "industry", 80, errors)
    if "size" in changes:
        company.size = str(changes["size"] or "")
        if company.size:
            _choice_check(company.size, Company.Size.values, "size", errors)
    if "parent_id" in changes:
        parent_id = changes["parent_id"]
        company.parent = None
        if parent_id:
            parent = (
                visible_to(Company.objects.all(), user=by, module="companies")
                .filter(pk=parent_id)
                .first()
            )
            if parent is None:
                errors["parent_id"] = _("This company does not exist or is not visible to you.")
            elif not creating and _is_descendant_or_self(parent, company):
                errors["parent_id"] = _(
                    "A company cannot be its own parent or its subsidiary's subsidiary."
                )
            else:
                company.parent = parent
    if "owner_id" in changes or creating:
        try:
            owner = _owner_resolve(by=by, owner_id=changes.get("owner_id"), module="companies")
            company.owner = owner
            company.team_id = owner.team_id
        except FieldError as exc:
            errors.update(exc.errors)
    if "custom" in changes or creating:
        try:
            company.custom = custom_values_clean(
                model="customers.company",
                values=changes.get("custom") or {},
                existing=company.custom,
            )
        except FieldError as exc:
            errors.update(exc.errors)
    tags = None
    if "tags" in changes:
        tags = [clean(str(n)) for n in changes["tags"] or ()]
        if any(len(n) > MAX_TAG for n in tags):
            errors["tags"] = _("Use at most %(n)d characters per tag.") % {"n": MAX_TAG}
    if errors:
        raise FieldError(errors)
    for name, value in company_index_fields(name=company.name, domain=company.domain).items():
        setattr(company, name, value)
    return tags


def _is_descendant_or_self(candidate: Company, company: Company) -> bool:
    """Whether `candidate` is `company` or below it (walks up from candidate; hierarchies are shallow)."""
    seen: set[int] = set()
    node: Company | None = candidate
    while node is not None and node.pk not in seen:
        if node.pk == company.pk:
            return True
        seen.add(node.pk)
        node = Company.objects.filter(pk=node.parent_id).first() if node.parent_id else None
    return False


@transaction.atomic
def company_create(
    *,
    by: User,
    name: str,
    domain: str = "",
    industry: str = "",
    size: str = "",
    parent_id: int | None = None,
    owner_id: int | None = None,
    tags: Iterable[str] = (),
    custom: Mapping[str, Any] | None = None,
) -> Company:
    """Create a company."""
    require(by, "companies", "create")
    company = Company(custom={})
    changes = {
        "name": name, "domain": domain, "industry": industry, "size": size, "parent_id": parent_id,
        "owner_id": owner_id, "tags": list(tags), "custom": dict(custom or {}),
    }  # fmt: skip
    tag_names = _company_apply(by=by, company=company, changes=changes, creating=True)
    company.save()
    if tag_names:
        company.tags.set(_tags_resolve(tag_names))
    changes_record(instance=company, actor=by, before=None, after={})
    return company


def _company_for_write(*, by: User, company_id: int, right: str) -> Company:
    company = (
        visible_to(Company.objects.select_for_update(of=("self",)), user=by, module="companies")
        .filter(pk=company_id)
        .first()
    )
    if company is None:
        raise NotFound(_("Not found."))
    require(by, "companies", right, company)
    return company


@transaction.atomic
def company_update(*, by: User, company_id: int, version: int, **changes: Any) -> Company:
    """Change the named fields of a company; a rename also refreshes its contacts' search keys."""
    _unknown_fields_check(changes, COMPANY_FIELDS)
    company = _company_for_write(by=by, company_id=company_id, right="edit")
    _version_check(company, version)
    before = _company_snapshot(company)
    old_name = company.name
    tag_names = _company_apply(by=by, company=company, changes=changes, creating=False)
    company.version += 1
    company.save()
    if tag_names is not None:
        company.tags.set(_tags_resolve(tag_names))
    company._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    if company.name != old_name:
        _company_contacts_reindex(company)
    changes_record(instance=company, actor=by, before=before, after=_company_snapshot(company))
    return company


def _company_contacts_reindex(company: Company, batch: int = 2000) -> None:
    """Refresh the search keys of the company's contacts (they include the company name)."""
    contacts = (
        Contact.objects.filter(company=company).select_related("company").prefetch_related("points")
    )
    pending: list[Contact] = []
    for contact in contacts.iterator(chunk_size=batch):
        _contact_reindex(contact, list(contact.points.all()))
        pending.append(contact)
        if len(pending) >= batch:
            Contact.objects.bulk_update(pending, ["search_text"])
            pending = []
    Contact.objects.bulk_update(pending, ["search_text"])


@transaction.atomic
def company_delete(*, by: User, company_id: int) -> None:
    """Delete a company; its contacts stay, without a company, and subsidiaries lose their parent."""
    company = _company_for_write(by=by, company_id=company_id, right="delete")
    changes_record(instance=company, actor=by, before=_company_snapshot(company), after=None)
    contact_ids = list(Contact.objects.filter(company=company).values_list("pk", flat=True))
    company.delete()
    for contact in Contact.objects.filter(pk__in=contact_ids).prefetch_related("points"):
        _contact_reindex(contact, list(contact.points.all()))
        contact.save(update_fields=["search_text"])


# --- relationships, consents, custom fields -----------------------------------------------


@transaction.atomic
def relationship_create(
    *, by: User, from_contact_id: int, to_contact_id: int, kind: str
) -> Relationship:
    """Link two visible contacts: `from` is `kind` of `to` (e.g. referred_by)."""
    errors: dict[str, str] = {}
    _choice_check(kind, Relationship.Kind.values, "kind", errors)
    if from_contact_id == to_contact_id:
        errors["to_contact_id"] = _("A contact cannot be related to itself.")
    if errors:
        raise FieldError(errors)
    source = _contact_for_write(by=by, contact_id=from_contact_id, right="edit")
    target = (
        visible_to(Contact.objects.all(), user=by, module="contacts")
        .filter(pk=to_contact_id)
        .first()
    )
    if target is None:
        raise FieldError.one(
            "to_contact_id", _("This contact does not exist or is not visible to you.")
        )
    relationship, created = Relationship.objects.get_or_create(
        from_contact=source, to_contact=target, kind=kind
    )
    if created:
        ChangeRecord.objects.create(
            model="customers.contact", object_id=source.pk, action="update", field="relationships",
            new_value=f"{Relationship.Kind(kind).label} {target.full_name}", actor=by,
        )  # fmt: skip
    return relationship


@transaction.atomic
def relationship_delete(*, by: User, relationship_id: int) -> None:
    """Remove a link between two contacts."""
    relationship = (
        Relationship.objects.select_related("to_contact").filter(pk=relationship_id).first()
    )
    if relationship is None:
        raise NotFound(_("Not found."))
    source = _contact_for_write(by=by, contact_id=relationship.from_contact_id, right="edit")
    ChangeRecord.objects.create(
        model="customers.contact", object_id=source.pk, action="update", field="relationships",
        old_value=f"{Relationship.Kind(relationship.kind).label} {relationship.to_contact.full_name}",
        actor=by,
    )  # fmt: skip
    relationship.delete()


@transaction.atomic
def consent_record(
    *,
    by: User,
    contact_id: int,
    channel: str,
    purpose: str,
    status: str,
    source: str = "",
    at: datetime | None = None,
) -> Consent:
    """Record that a contact granted or withdrew consent; the newest record per pair is in force."""
    errors: dict[str, str] = {}
    _choice_check(channel, Consent.Channel.values, "channel", errors)
    _choice_check(purpose, Consent.Purpose.values, "purpose", errors)
    _choice_check(status, Consent.Status.values, "status", errors)
    source = _text(source, "source", 120, errors)
    if errors:
        raise FieldError(errors)
    contact = _contact_for_write(by=by, contact_id=contact_id, right="edit")
    consent = Consent.objects.create(
        contact=contact,
        channel=channel,
        purpose=purpose,
        status=status,
        source=source,
        at=at or timezone.now(),
    )
    ChangeRecord.objects.create(
        model="customers.contact", object_id=contact.pk, action="update", field=f"consent.{channel}.{purpose}",
        new_value=status, actor=by,
    )  # fmt: skip
    return consent


def custom_field_create(
    *,
    by: User,
    model: str,
    key: str,
    label: str,
    kind: str = CustomField.Kind.TEXT,
    choices: Iterable[str] = (),
    required: bool = False,
) -> CustomField:
    """Define a custom field on contacts or companies (admins only)."""
    if not is_admin(by):
        raise Forbidden(_("Only administrators can define custom fields."))
    errors: dict[str, str] = {}
    _choice_check(model, ("customers.contact", "customers.company"), "model", errors)
    _choice_check(kind, CustomField.Kind.values, "kind", errors)
    key = clean(key).lower()
    if not key or not key.replace("_", "").isalnum() or not key.isascii() or len(key) > 48:
        errors["key"] = _("Use up to 48 lower-case letters, digits and underscores.")
    elif CustomField.objects.filter(model=model, key=key).exists():
        errors["key"] = _("This model already has a field with this key.")
    label = _text(label, "label", 80, errors)
    if not label:
        errors["label"] = _("Enter a label.")
    options = [clean(c) for c in choices if clean(c)]
    if kind == CustomField.Kind.CHOICE and not options:
        errors["choices"] = _("A choice field needs at least one choice.")
    if errors:
        raise FieldError(errors)
    position = CustomField.objects.filter(model=model).count()
    return CustomField.objects.create(
        model=model,
        key=key,
        label=label,
        kind=kind,
        choices=options,
        required=required,
        position=position,
    )


_CUSTOM_MODELS: dict[str, type[Contact] | type[Company]] = {
    "customers.contact": Contact,
    "customers.company": Company,
}
_CUSTOM_BATCH = 2000


class _JsonKeyRemoved(Func):
    """`column` without the top-level `key` (a slug), computed in the database."""

    output_field = JSONField()

    def __init__(self, column: str, key: str) -> None:
        super().__init__(F(column), Cast(Value(key), TextField()))
        self.key = key

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        path = Value(f'$."{self.key}"')
        return Func(self.source_expressions[0], path, function="json_remove").as_sql(
            compiler, connection
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")


def _custom_field_for_admin(*, by: User, field_id: int) -> CustomField:
    if not is_admin(by):
        raise Forbidden(_("Only administrators can define custom fields."))
    definition = CustomField.objects.select_for_update().filter(pk=field_id).first()
    if definition is None:
        raise NotFound(_("Not found."))
    return definition


def _custom_field_snapshot(definition: CustomField) -> dict[str, str]:
    return {
        "key": definition.key,
        "label": definition.label,
        "kind": definition.kind,
        "choices": ", ".join(definition.choices),
        "required": str(definition.required),
        "position": str(definition.position),
    }


def custom_field_values_count(*, definition: CustomField, value: Any = None) -> int:
    """How many records hold a value for `definition` (or exactly `value`, when given)."""
    records = _CUSTOM_MODELS[definition.model].objects.all()
    if value is None:
        return records.filter(custom__has_key=definition.key).count()
    return records.filter(**{f"custom__{definition.key}": value}).count()


@transaction.atomic
def custom_field_update(*, by: User, field_id: int, **changes: Any) -> CustomField:
    """Change a custom field's label, choices, required flag or position (admins only).

    `key` and `kind` may change only while no record holds a value, so stored values always
    match their definition; a choice still held by records cannot be removed. Moving a field
    to `position` (0 = first) renumbers the model's other fields.
    """
    definition = _custom_field_for_admin(by=by, field_id=field_id)
    unknown = set(changes) - {"key", "label", "kind", "choices", "required", "position"}
    if unknown:
        raise FieldError({k: _("Unknown field.") for k in sorted(unknown)})
    before = _custom_field_snapshot(definition)
    errors: dict[str, str] = {}
    held = None  # records holding a value, counted once and only when needed

    def values_held() -> int:
        nonlocal held
        if held is None:
            held = custom_field_values_count(definition=definition)
        return held

    if "key" in changes:
        key = clean(changes["key"] or "").lower()
        if key != definition.key:
            if not key or not key.replace("_", "").isalnum() or not key.isascii() or len(key) > 48:
                errors["key"] = _("Use up to 48 lower-case letters, digits and underscores.")
            elif values_held():
                errors["key"] = _(
                    "The key of “%(label)s” cannot change: %(count)d records hold a value."
                ) % {"label": definition.label, "count": values_held()}
            elif CustomField.objects.filter(model=definition.model, key=key).exists():
                errors["key"] = _("This model already has a field with this key.")
            else:
                definition.key = key
    if "kind" in changes and changes["kind"] != definition.kind:
        _choice_check(changes["kind"], CustomField.Kind.values, "kind", errors)
        if "kind" not in errors:
            if values_held():
                errors["kind"] = _(
                    "The type of “%(label)s” cannot change: %(count)d records hold a value."
                ) % {"label": definition.label, "count": values_held()}
            else:
                definition.kind = changes["kind"]
    if "label" in changes:
        label = _text(changes["label"], "label", 80, errors)
        if not label:
            errors["label"] = _("Enter a label.")
        definition.label = label
    if "choices" in changes:
        options = list(dict.fromkeys(clean(c) for c in changes["choices"] if clean(c)))
        if definition.kind == CustomField.Kind.CHOICE:
            if not options:
                errors["choices"] = _("A choice field needs at least one choice.")
            for removed in [c for c in definition.choices if c not in options]:
                count = custom_field_values_count(definition=definition, value=removed)
                if count:
                    errors["choices"] = _(
                        "“%(choice)s” cannot be removed from “%(label)s”: %(count)d records hold it."
                    ) % {"choice": removed, "label": definition.label, "count": count}
                    break
        definition.choices = options if definition.kind == CustomField.Kind.CHOICE else []
    elif definition.kind == CustomField.Kind.CHOICE and not definition.choices:
        errors["choices"] = _("A choice field needs at least one choice.")
    if "required" in changes:
        definition.required = bool(changes["required"])
    if errors:
        raise FieldError(errors)
    definition.save()
    if "position" in changes:
        siblings = [
            f
            for f in CustomField.objects.filter(model=definition.model).order_by("position", "pk")
            if f.pk != definition.pk
        ]
        at = max(0, min(int(changes["position"]), len(siblings)))
        siblings.insert(at, definition)
        for index, field in enumerate(siblings):
            field.position = index
        CustomField.objects.bulk_update(siblings, ["position"])
    changes_record(
        instance=definition, actor=by, before=before, after=_custom_field_snapshot(definition)
    )
    return definition


@transaction.atomic
def custom_field_delete(*, by: User, field_id: int) -> int:
    """Delete a custom field and remove its values from every record (admins only).

    Each record that held a value gets a history entry with the old value and a new version
    (an edit form opened before is refused as stale instead of writing the value back).
    Returns how many records lost a value. Works in batches of 2,000 records.
    """
    definition = _custom_field_for_admin(by=by, field_id=field_id)
    model = _CUSTOM_MODELS[definition.model]
    key = definition.key
    holders = model.objects.filter(custom__has_key=key).order_by("pk")
    removed = 0
    last_pk = 0
    now = timezone.now()
    while True:
        batch = list(
            holders.filter(pk__gt=last_pk).values_list("pk", f"custom__{key}")[:_CUSTOM_BATCH]
        )
        if not batch:
            break
        ids = [pk for pk, _value in batch]
        ChangeRecord.objects.bulk_create(
            ChangeRecord(
                model=definition.model, object_id=pk, action="update", field=f"custom.{key}",
                old_value="" if value is None else str(value), new_value="", actor=by,
            )
            for pk, value in batch
        )  # fmt: skip
        model.objects.filter(pk__in=ids).update(
            custom=_JsonKeyRemoved("custom", key), version=F("version") + 1, updated_at=now
        )
        removed += len(ids)
        last_pk = ids[-1]
    changes_record(
        instance=definition, actor=by, before=_custom_field_snapshot(definition), after=None
    )
    definition.delete()
    remaining = CustomField.objects.filter(model=definition.model).order_by("position", "pk")
    renumbered = list(remaining)
    for index, field in enumerate(renumbered):
        field.position = index
    CustomField.objects.bulk_update(renumbered, ["position"])
    return removed
