"""Companies: create, update (a rename refreshes its contacts' search keys), delete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.events import change_event_record
from kith.core.validation import choice_check, text_clean, unknown_fields_check, version_check
from kith.customers.indexing import company_index_fields
from kith.customers.models import Company, Contact
from kith.customers.normalise import domain_normalise
from kith.customers.services.contact_points import contact_reindex
from kith.customers.services.records import custom_apply, owner_apply
from kith.customers.services.tags import tag_names_clean, tags_resolve
from kith.identity.access import for_write, require, visible_to
from kith.identity.models import User

MODEL = "customers.company"
COMPANY_FIELDS = frozenset(
    {"name", "domain", "industry", "size", "parent_id", "owner_id", "tags", "custom"}
)


def company_snapshot(company: Company) -> dict[str, str]:
    """The company's tracked values as display text, for its history."""
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


# --- field groups: each sets what `changes` names on the (unsaved) company ------------------


def _profile_apply(company: Company, changes: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "name" in changes:
        company.name = text_clean(changes["name"], field="name", limit=200, errors=errors)
    if not company.name:
        errors["name"] = _("Enter a name.")
    if "domain" in changes:
        try:
            company.domain = domain_normalise(str(changes["domain"] or ""))
        except ValueError as exc:
            errors["domain"] = str(exc)
    if "industry" in changes:
        company.industry = text_clean(
            changes["industry"], field="industry", limit=80, errors=errors
        )
    if "size" in changes:
        company.size = str(changes["size"] or "")
        if company.size:
            choice_check(company.size, Company.Size.values, field="size", errors=errors)


def _parent_apply(
    by: User, company: Company, changes: Mapping[str, Any], creating: bool, errors: dict[str, str]
) -> None:
    if "parent_id" not in changes:
        return
    parent_id = changes["parent_id"]
    company.parent = None
    if not parent_id:
        return
    parent = (
        visible_to(Company.objects.all(), user=by, module="companies").filter(pk=parent_id).first()
    )
    if parent is None:
        errors["parent_id"] = _("This company does not exist or is not visible to you.")
    elif not creating and _is_descendant_or_self(parent, company):
        errors["parent_id"] = _(
            "A company cannot be its own parent or its subsidiary's subsidiary."
        )
    else:
        company.parent = parent


def _company_apply(
    *, by: User, company: Company, changes: Mapping[str, Any], creating: bool
) -> list[str] | None:
    """Validate and set `changes` on `company` (unsaved); returns tag names to set, or None."""
    errors: dict[str, str] = {}
    _profile_apply(company, changes, errors)
    _parent_apply(by, company, changes, creating, errors)
    owner_apply(
        by=by, record=company, changes=changes, creating=creating, module="companies", errors=errors
    )
    custom_apply(record=company, model=MODEL, changes=changes, creating=creating, errors=errors)
    tags = tag_names_clean(changes["tags"], errors) if "tags" in changes else None
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
        company.tags.set(tags_resolve(tag_names))
    history = changes_record(instance=company, actor=by, before=None, after={})
    change_event_record(entity="company", record=company, actor=by, changes=history)
    return company


@transaction.atomic
def company_update(*, by: User, company_id: int, version: int | None, **changes: Any) -> Company:
    """Change the named fields of a company; a rename also refreshes its contacts' search keys."""
    unknown_fields_check(changes, COMPANY_FIELDS)
    company = for_write(Company, module="companies", by=by, pk=company_id, right="edit")
    version_check(company, version)
    before = company_snapshot(company)
    old_name = company.name
    tag_names = _company_apply(by=by, company=company, changes=changes, creating=False)
    company.version += 1
    company.save()
    if tag_names is not None:
        company.tags.set(tags_resolve(tag_names))
    company._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    if company.name != old_name:
        _company_contacts_reindex(company)
    history = changes_record(
        instance=company, actor=by, before=before, after=company_snapshot(company)
    )
    change_event_record(entity="company", record=company, actor=by, changes=history)
    return company


def _company_contacts_reindex(company: Company, batch: int = 2000) -> None:
    """Refresh the search keys of the company's contacts (they include the company name)."""
    contacts = (
        Contact.objects.filter(company=company).select_related("company").prefetch_related("points")
    )
    pending: list[Contact] = []
    for contact in contacts.iterator(chunk_size=batch):
        contact_reindex(contact, list(contact.points.all()))
        pending.append(contact)
        if len(pending) >= batch:
            Contact.objects.bulk_update(pending, ["search_text"])
            pending = []
    Contact.objects.bulk_update(pending, ["search_text"])


@transaction.atomic
def company_delete(*, by: User, company_id: int) -> None:
    """Delete a company; its contacts stay, without a company, and subsidiaries lose their parent."""
    company = for_write(Company, module="companies", by=by, pk=company_id, right="delete")
    history = changes_record(
        instance=company, actor=by, before=company_snapshot(company), after=None
    )
    change_event_record(entity="company", record=company, actor=by, changes=history)
    contact_ids = list(Contact.objects.filter(company=company).values_list("pk", flat=True))
    company.delete()
    for contact in Contact.objects.filter(pk__in=contact_ids).prefetch_related("points"):
        contact_reindex(contact, list(contact.points.all()))
        contact.save(update_fields=["search_text"])
