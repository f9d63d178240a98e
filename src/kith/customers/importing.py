"""Contacts and companies from files: their import specs (kith.core.importing), named by this
app's ImportKind doors. Rows are cleaned by the functions the customers services use
(points_clean, addresses_clean, domain_normalise, contact_index_fields) and written in bulk by
kith.customers.bulk, so an imported contact is stored exactly like one typed in.

The contact a row of another kind names is found by kith.customers.import_refs.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.bulk import next_id, rows_insert
from kith.core.importing import (
    BatchOutcome,
    Cells,
    Checked,
    ImportContext,
    ImportField,
    ImportSpec,
    created_undo,
    fields_snapshot,
    updates_undo,
)
from kith.core.models import ChangeRecord
from kith.core.text import clean, fold
from kith.customers.bulk import ADDRESS_ATTRS, CONTACT_ATTRS, POINT_ATTRS, created_record, tag_ids
from kith.customers.import_refs import points_owners
from kith.customers.indexing import company_index_fields, contact_index_fields, display_name
from kith.customers.models import Address, Company, Contact, ContactPoint
from kith.customers.normalise import (
    domain_normalise,
)
from kith.customers.points import addresses_clean, phone_region_choose, points_clean
from kith.customers.search import search_index_batched
from kith.identity.access import visible_to

F = ImportField
CONTACT_FIELDS = (
    # name, label, header synonyms (folded, separators removed)
    F("first_name", gettext_lazy("First name"), ("firstname", "givenname", "forename", "first", "ten", "名")),
    F("last_name", gettext_lazy("Last name"), ("lastname", "surname", "familyname", "last", "ho", "姓")),
    F("full_name", gettext_lazy("Full name"), ("fullname", "name", "contactname", "hoten", "hovaten", "姓名", "名字")),
    F("email", gettext_lazy("Email"), ("email", "emailaddress", "mail", "primaryemail", "邮箱", "电子邮件")),
    F("phone", gettext_lazy("Phone"), ("phone", "telephone", "mobile", "tel", "phonenumber", "dienthoai", "电话", "手机")),
    F("title", gettext_lazy("Job title"), ("title", "jobtitle", "position", "role", "chucvu", "职位")),
    F("company", gettext_lazy("Company"), ("company", "organisation", "organization", "companyname", "congty", "公司")),
    F("lifecycle_stage", gettext_lazy("Lifecycle stage"), ("stage", "lifecyclestage", "status")),
    F("tags", gettext_lazy("Tags"), ("tags", "labels", "tag")),
    F("line1", gettext_lazy("Street address"), ("address", "street", "address1", "line1", "addressline1", "diachi", "地址")),
    F("city", gettext_lazy("City"), ("city", "town", "suburb", "thanhpho", "城市")),
    F("region", gettext_lazy("Region or province"), ("region", "state", "province", "tinh", "省")),
    F("postal_code", gettext_lazy("Postal code"), ("postcode", "zip", "zipcode", "postalcode")),
    F("country", gettext_lazy("Country (2 letters)"), ("country", "quocgia", "国家")),
)  # fmt: skip
COMPANY_FIELDS = (
    F("name", gettext_lazy("Name"), ("name", "company", "companyname", "organisation", "organization", "congty", "公司")),
    F("domain", gettext_lazy("Website or domain"), ("domain", "website", "web", "url", "site")),
    F("industry", gettext_lazy("Industry"), ("industry", "sector", "nganh", "行业")),
    F("size", gettext_lazy("Company size"), ("size", "employees", "companysize")),
)  # fmt: skip
# Choices' .values builds a new list on every access: looked up once per row, it showed in profiles.
_STAGES = frozenset(Contact.Stage.values)
_SIZES = frozenset(Company.Size.values)
_ADDRESS = ("line1", "city", "region", "postal_code")


# --- contacts ---------------------------------------------------------------------------------


def contact_row_check(cells: Cells, item: Checked) -> None:
    """A contact from one row (item.values), or the problems naming their columns. No
    database: it runs in the import's worker processes."""

    def one(name: str, limit: int, *, report: bool = True) -> str:
        value = cells.get(name)
        if len(value) > limit and report:
            cells.fail(name, _("Use at most %(n)d characters.") % {"n": limit})
        return value[:limit]

    first, last = one("first_name", 100), one("last_name", 100)
    full = one("full_name", 200) or display_name(first_name=first, last_name=last)
    if not full:
        column = cells.column(
            "full_name", fallback=cells.column("first_name", fallback="full_name")
        )
        cells.problems.append((column, _("Enter a name.")))
    stage = one("lifecycle_stage", 12).lower() or Contact.Stage.LEAD
    if stage not in _STAGES:
        cells.problems.append(
            (
                cells.column("lifecycle_stage", fallback="stage"),
                _("Choose a valid lifecycle stage."),
            )
        )
    point_errors: dict[str, str] = {}
    emails = points_clean(ContactPoint.Kind.EMAIL, cells.all("email"), point_errors)
    country = one("country", 2 + 100)
    # A row with Country VN reads "0912 345 678" as a Vietnamese number.
    phones = points_clean(
        ContactPoint.Kind.PHONE, cells.all("phone"), point_errors,
        region=phone_region_choose(country),
    )  # fmt: skip
    for key, message in point_errors.items():
        kind, _dot, index = key.partition(".")
        cells.fail("email" if kind == "emails" else "phone", message, index=int(index))
    address = {name: one(name, 200) for name in _ADDRESS}
    address["country"] = country
    address_errors: dict[str, str] = {}
    addresses = addresses_clean([address], address_errors) if any(address.values()) else []
    if address_errors:
        present = [c for c, t in cells.columns.items() if t in address and t in cells.cells]
        for key, message in address_errors.items():
            name = key.rsplit(".", 1)[-1]
            # "line1" missing: name the address column the row does have (City, …).
            cells.fail(name, message, fallback=present[0] if present else name)
    tags = [clean(t)[:64] for t in one("tags", 2000).split(",") if clean(t)]
    if cells.problems:
        return
    company = one("company", 200, report=False)
    item.values = {
        "first_name": first,
        "last_name": last,
        "full_name": full,
        "title": one("title", 120, report=False),
        "company_name": company,
        "lifecycle_stage": stage,
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
        "tags": tags,
        # Derived here, in the worker; the writer redoes it when the company's stored name
        # differs from the file's.
        "index": _index(first, last, full, emails, phones, company),
    }


def _index(first: str, last: str, full: str, emails: Any, phones: Any, company: str) -> dict:
    return contact_index_fields(
        first_name=first,
        last_name=last,
        full_name=full,
        emails=[p.value for p in emails],
        phones=[p.value for p in phones],
        company_name=company,
    )


def contact_keys(item: Checked) -> list[str]:
    values = item.values
    return [f"email:{p.value}" for p in values["emails"]] + [
        f"phone:{p.value}" for p in values["phones"]
    ]


def contacts_existing(ctx: ImportContext, items: list[Checked]) -> dict[int, int]:
    """Rows whose email (first) or phone a contact `by` may see already has."""
    wanted = {
        (p.kind, p.value)
        for item in items
        for p in (*item.values["emails"], *item.values["phones"])
    }
    owners = points_owners(ctx.by, wanted)
    found: dict[int, int] = {}
    for index, item in enumerate(items):
        for p in (*item.values["emails"], *item.values["phones"]):
            if (p.kind, p.value) in owners:
                found[index] = owners[(p.kind, p.value)]
                break
    return found


def _companies_by_name(by: Any, names: set[str]) -> dict[str, tuple[int, str]]:
    if not names:
        return {}
    folded = sorted({fold(n) for n in names})
    visible = visible_to(Company.objects.all(), user=by, module="companies")
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(folded), 500):
        for pk, sort_name, name in (
            visible.filter(sort_name__in=folded[start : start + 500])
            .order_by("pk")
            .values_list("pk", "sort_name", "name")
        ):
            found.setdefault(sort_name, (pk, name))
    return found


def contacts_write(ctx: ImportContext, items: list[Checked]) -> BatchOutcome:
    """The rows as new contacts, in one transaction: contacts, points, addresses, tags and
    the "created" history, each in one bulk write."""
    by = ctx.by
    contacts = [item.values for item in items]
    companies = _companies_by_name(by, {c["company_name"] for c in contacts if c["company_name"]})
    with transaction.atomic():
        base = next_id(Contact)
        tags = tag_ids(sorted({t for c in contacts for t in c["tags"]}))
        contact_rows, point_rows, address_rows, tag_rows = [], [], [], []
        for offset, c in enumerate(contacts):
            pk = base + offset
            company_id, company_name = companies.get(fold(c["company_name"]), (None, ""))
            keys = c["index"]
            if company_name != c["company_name"]:
                keys = _index(
                    c["first_name"], c["last_name"], c["full_name"], c["emails"], c["phones"],
                    company_name,
                )  # fmt: skip
            row = {
                "id": pk,
                "owner_id": by.pk,
                "team_id": by.team_id,
                "company_id": company_id,
                "source_channel": Contact.Channel.IMPORT,
                "custom": {},
                "primary_email": c["emails"][0].value if c["emails"] else "",
                "primary_phone": c["phones"][0].value if c["phones"] else "",
                **{name: c[name] for name in ("first_name", "last_name", "full_name", "title")},
                "lifecycle_stage": c["lifecycle_stage"],
                **keys,
            }
            contact_rows.append(tuple(row[a] for a in CONTACT_ATTRS))
            point_rows += [
                (pk, p.kind, p.label, p.value, p.is_primary) for p in (*c["emails"], *c["phones"])
            ]
            address_rows += [(pk, *(a[name] for name in ADDRESS_ATTRS[1:])) for a in c["addresses"]]
            tag_rows += [(pk, tags[t]) for t in dict.fromkeys(c["tags"])]
        with search_index_batched(Contact):
            rows_insert(Contact, CONTACT_ATTRS, contact_rows)
        rows_insert(ContactPoint, POINT_ATTRS, point_rows)
        rows_insert(Address, ADDRESS_ATTRS, address_rows)
        rows_insert(Contact.tags.through, ("contact_id", "tag_id"), tag_rows)
        ids = list(range(base, base + len(contacts)))
        created_record(Contact, ids, by)
    return BatchOutcome(created_ids=ids)


_FILLABLE = ("first_name", "last_name", "title")


def contact_merge(ctx: ImportContext, item: Checked, contact_id: int) -> dict[str, Any] | None:
    """Merge a row into an existing contact: empty fields filled, new emails/phones added (not
    primary). Returns what it was before (for undo), or None when nothing changed."""
    row = item.values
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        before = fields_snapshot(contact)
        have = set(ContactPoint.objects.filter(contact_id=contact_id).values_list("kind", "value"))
        new_points = [
            ContactPoint(contact_id=contact_id, kind=p.kind, value=p.value, label=p.label)
            for p in (*row["emails"], *row["phones"])
            if (p.kind, p.value) not in have
        ]
        changed = False
        for name in _FILLABLE:
            if not getattr(contact, name) and row[name]:
                setattr(contact, name, row[name])
                changed = True
        if not (changed or new_points):
            return None
        ContactPoint.objects.bulk_create(new_points)
        points = list(ContactPoint.objects.filter(contact_id=contact_id))
        keys = contact_index_fields(
            first_name=contact.first_name,
            last_name=contact.last_name,
            full_name=contact.full_name,
            emails=[p.value for p in points if p.kind == ContactPoint.Kind.EMAIL],
            phones=[p.value for p in points if p.kind == ContactPoint.Kind.PHONE],
            company_name=contact.company.name if contact.company_id and contact.company else "",
        )
        for name, value in keys.items():
            setattr(contact, name, value)
        contact.version += 1
        contact.save()
        change = ChangeRecord.objects.create(
            model="customers.contact",
            object_id=contact_id,
            action="update",
            field="import",
            new_value=ctx.filename[:200],
            actor=ctx.by,
        )
    return {"fields": before, "added_points": [p.pk for p in new_points], "changes": [change.pk]}


def contacts_undo(ranges: list[list[int]], updates: list[Any], actor_id: int | None) -> None:
    created_undo(Contact, ranges)
    for update in updates:
        ContactPoint.objects.filter(pk__in=update.before.get("added_points", [])).delete()
    updates_undo(Contact, updates, actor_id=actor_id)


CONTACTS = ImportSpec(
    fields=CONTACT_FIELDS,
    row_check=contact_row_check,
    keys=contact_keys,
    existing=contacts_existing,
    write=contacts_write,
    merge=contact_merge,
    undo=contacts_undo,
    person=True,
    bulk=True,
    tables=(Contact, ContactPoint, Address),
)


# --- companies --------------------------------------------------------------------------------


def company_row_check(cells: Cells, item: Checked) -> None:
    name = cells.get("name")
    if not name:
        cells.fail("name", _("Enter a name."))
    elif len(name) > 200:
        cells.fail("name", _("Use at most %(n)d characters.") % {"n": 200})
    domain = ""
    if cells.raw("domain"):
        try:
            domain = domain_normalise(cells.raw("domain"))
        except ValueError as exc:
            cells.fail("domain", str(exc))
    size = cells.get("size")
    if size and size not in _SIZES:
        cells.fail("size", _("Choose a valid company size."))
    if not cells.problems:
        industry = cells.get("industry")[:80]
        item.values = {"name": name, "domain": domain, "industry": industry, "size": size}


def company_keys(item: Checked) -> list[str]:
    domain = item.values["domain"]
    return [f"name:{fold(item.values['name'])}"] + ([f"domain:{domain}"] if domain else [])


def companies_existing(ctx: ImportContext, items: list[Checked]) -> dict[int, int]:
    """Rows whose domain (first) or folded name a company `by` may see already has."""
    visible = visible_to(Company.objects.all(), user=ctx.by, module="companies")
    names = {fold(i.values["name"]) for i in items}
    domains = {i.values["domain"] for i in items if i.values["domain"]}
    by_name: dict[str, int] = {}
    by_domain: dict[str, int] = {}
    for pk, sort_name, domain in (
        visible.filter(Q(sort_name__in=names) | Q(domain__in=domains))
        .order_by("pk")
        .values_list("pk", "sort_name", "domain")
    ):
        by_name.setdefault(sort_name, pk)
        if domain:
            by_domain.setdefault(domain, pk)
    found = {}
    for index, item in enumerate(items):
        match = by_domain.get(item.values["domain"]) or by_name.get(fold(item.values["name"]))
        if match is not None:
            found[index] = match
    return found


def companies_write(ctx: ImportContext, items: list[Checked]) -> BatchOutcome:
    by = ctx.by
    with transaction.atomic():
        base = next_id(Company)
        objs = [
            Company(
                id=base + i,
                owner=by,
                team_id=by.team_id,
                custom={},
                **item.values,
                **company_index_fields(name=item.values["name"], domain=item.values["domain"]),
            )
            for i, item in enumerate(items)
        ]
        with search_index_batched(Company):
            Company.objects.bulk_create(objs)
        created_record(Company, [o.pk for o in objs], by)
    return BatchOutcome(created_ids=[o.pk for o in objs])


def company_merge(ctx: ImportContext, item: Checked, company_id: int) -> dict[str, Any] | None:
    """Merge a row into an existing company: its empty domain, industry and size filled in."""
    row = item.values
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company_id)
        before = fields_snapshot(company)
        changed = [n for n in ("domain", "industry", "size") if row[n] and not getattr(company, n)]
        if not changed:
            return None
        for name in changed:
            setattr(company, name, row[name])
        for name, value in company_index_fields(name=company.name, domain=company.domain).items():
            setattr(company, name, value)
        company.version += 1
        company.save()
        change = ChangeRecord.objects.create(
            model="customers.company",
            object_id=company_id,
            action="update",
            field="import",
            new_value=ctx.filename[:200],
            actor=ctx.by,
        )
    return {"fields": before, "added_points": [], "changes": [change.pk]}


def companies_undo(ranges: list[list[int]], updates: list[Any], actor_id: int | None) -> None:
    created_undo(Company, ranges)
    updates_undo(Company, updates, actor_id=actor_id)


COMPANIES = ImportSpec(
    fields=COMPANY_FIELDS,
    row_check=company_row_check,
    keys=company_keys,
    existing=companies_existing,
    write=companies_write,
    merge=company_merge,
    undo=companies_undo,
    bulk=True,
    tables=(Company,),
)
