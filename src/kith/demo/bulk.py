"""Bulk loading of generated companies and contacts: fast, yet stored exactly as the services
would store them.

Values go through the same cleaning the services use (kith.customers.points for emails, phones
and social handles, kith.core.custom_fields for custom values, kith.customers.normalise for
domains) and the derived sort/search columns come from kith.customers.indexing. The FTS5
index follows through the customers migration's triggers; pg_trgm indexes itself.

What the services do and this path does not: access checks (the caller decides), and history
beyond one "created" entry per record when an `actor` is given.

Normalising costs ~0.5 ms per contact (phonenumbers, email-validator), so contact rows are built
in worker processes while the parent process writes; ids are assigned up front, so a worker can
link points, addresses and relationships to contacts that are not written yet.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.bulk import (
    next_id,
    rows_insert,
    rows_prepare,
    secondary_indexes_deferred,
    sequences_reset,
)
from kith.core.custom_fields import custom_value_clean
from kith.core.errors import FieldError
from kith.core.models import CustomField
from kith.customers.bulk import (
    ADDRESS_ATTRS,
    CONSENT_ATTRS,
    CONTACT_ATTRS,
    POINT_ATTRS,
    RELATIONSHIP_ATTRS,
    tag_ids,
)
from kith.customers.bulk import created_record as _created_record
from kith.customers.indexing import company_index_fields, contact_index_fields
from kith.customers.models import Address, Company, Consent, Contact, ContactPoint, Relationship
from kith.customers.normalise import domain_normalise
from kith.customers.points import addresses_clean, points_clean
from kith.customers.search import search_index_batched
from kith.demo.generator import DemoWorld, PersonSpec
from kith.identity.models import User

Progress = Callable[[str, int, int], None]
# Contacts per worker task and per write transaction.
BATCH = 2000


@dataclass
class Owners:
    """Owner and team ids per demo team index: [(owner_id, team_id), ...]."""

    by_team: list[list[tuple[int, int | None]]]

    def pick(self, team_index: int, slot: int) -> tuple[int, int | None]:
        members = self.by_team[team_index]
        return members[slot % len(members)]


@dataclass
class ContactBuildContext:
    """What a worker needs to turn people into rows (sent once to each worker)."""

    seed: int
    company_count: int
    contact_base_id: int
    company_ids: list[int]
    company_names: list[str]
    owners: Owners
    tier_field: CustomField | None
    created_at: Any = None


@dataclass
class ContactBatch:
    contacts: list[tuple] = field(default_factory=list)
    points: list[tuple] = field(default_factory=list)
    addresses: list[tuple] = field(default_factory=list)
    tag_links: list[tuple[int, str]] = field(default_factory=list)  # (contact id, tag name)
    relationships: list[tuple] = field(default_factory=list)
    consents: list[tuple] = field(default_factory=list)
    # Values already adapted for the database (rows_prepare), done in the worker on SQLite,
    # whose adapted values are plain strings and numbers that travel well between processes.
    prepared: bool = False


@dataclass
class BulkCounts:
    companies: int = 0
    contacts: int = 0
    points: int = 0
    addresses: int = 0
    relationships: int = 0
    consents: int = 0


# --- companies ----------------------------------------------------------------------------


def companies_bulk_create(
    world: DemoWorld,
    *,
    owners: Owners,
    revenue_field: CustomField | None,
    actor: User | None = None,
    progress: Progress | None = None,
) -> list[int]:
    """Write every company of `world`; returns their ids by company key."""
    specs = world.companies
    base = next_id(Company)
    tags = tag_ids(sorted({t for c in specs for t in c.tags}))
    label = _("Companies")
    for start in range(0, len(specs), BATCH):
        chunk = specs[start : start + BATCH]
        companies, addresses, links = [], [], []
        for spec in chunk:
            company_id = base + spec.key
            owner_id, team_id = owners.pick(spec.team_index, spec.key)
            domain = domain_normalise(spec.domain)
            custom = {}
            if revenue_field is not None:
                custom[revenue_field.key] = custom_value_clean(revenue_field, spec.annual_revenue)
            companies.append(
                Company(
                    id=company_id,
                    name=spec.name,
                    domain=domain,
                    industry=spec.industry,
                    size=spec.size,
                    parent_id=base + spec.parent_key if spec.parent_key is not None else None,
                    owner_id=owner_id,
                    team_id=team_id,
                    custom=custom,
                    **company_index_fields(name=spec.name, domain=domain),
                )
            )
            errors: dict[str, str] = {}
            (row,) = addresses_clean([address_input(spec.address)], errors)
            _raise_if(errors)
            addresses.append(Address(company_id=company_id, **row))
            links += [
                Company.tags.through(company_id=company_id, tag_id=tags[t]) for t in spec.tags
            ]
        with transaction.atomic():
            with search_index_batched(Company):
                Company.objects.bulk_create(companies)
            Address.objects.bulk_create(addresses)
            Company.tags.through.objects.bulk_create(links)
            if actor is not None:
                _created_record(Company, [c.pk for c in companies], actor)
        if progress:
            progress(label, start + len(chunk), len(specs))
    sequences_reset([Company, Contact])
    return [base + spec.key for spec in specs]


# --- contacts -----------------------------------------------------------------------------


def contacts_bulk_create(
    world: DemoWorld,
    *,
    count: int,
    owners: Owners,
    company_ids: list[int],
    tier_field: CustomField | None,
    actor: User | None = None,
    workers: int | None = None,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> BulkCounts:
    """Write people 0 .. count-1 of `world` with their points, addresses, tags, relationships
    and consents, one transaction per `batch` contacts. `workers` defaults to the CPU count."""
    context = ContactBuildContext(
        seed=world.seed,
        company_count=world.company_count,
        contact_base_id=next_id(Contact),
        company_ids=company_ids,
        company_names=[c.name for c in world.companies],
        owners=owners,
        tier_field=tier_field,
        created_at=timezone.now(),
    )
    tags = tag_ids(sorted({t for p in world.people(0, min(count, 5000)) for t in p.tags}))
    ranges = [(start, min(start + batch, count)) for start in range(0, count, batch)]
    workers = workers or os.cpu_count() or 1
    counts = BulkCounts()
    with secondary_indexes_deferred(_CONTACT_TABLES, foreign_keys=True):
        _contact_batches_write(
            context, world, ranges, workers, tags, actor, counts, count, progress
        )
    sequences_reset([Company, Contact])
    return counts


# Tables a contact load writes to, whose plain indexes are built after loading into empty ones.
_CONTACT_TABLES = (Contact, ContactPoint, Address, Consent, Relationship, Contact.tags.through)


def _contact_batches_write(
    context: ContactBuildContext,
    world: DemoWorld,
    ranges: list[tuple[int, int]],
    workers: int,
    tags: dict[str, int],
    actor: User | None,
    counts: BulkCounts,
    count: int,
    progress: Progress | None,
) -> None:
    label = _("Contacts")
    for rows in _batches(context, world, ranges, workers):
        missing = sorted({name for _id, name in rows.tag_links} - set(tags))
        if missing:
            tags.update(tag_ids(missing))
        through = Contact.tags.through
        with transaction.atomic():
            with search_index_batched(Contact):
                rows_insert(Contact, CONTACT_ATTRS, rows.contacts, prepared=rows.prepared)
            rows_insert(ContactPoint, POINT_ATTRS, rows.points, prepared=rows.prepared)
            rows_insert(Address, ADDRESS_ATTRS, rows.addresses)
            rows_insert(
                through, ("contact_id", "tag_id"), [(c, tags[t]) for c, t in rows.tag_links]
            )
            rows_insert(Relationship, RELATIONSHIP_ATTRS, rows.relationships)
            rows_insert(Consent, CONSENT_ATTRS, rows.consents, prepared=rows.prepared)
            if actor is not None:
                _created_record(Contact, [row[0] for row in rows.contacts], actor)
        counts.contacts += len(rows.contacts)
        counts.points += len(rows.points)
        counts.addresses += len(rows.addresses)
        counts.relationships += len(rows.relationships)
        counts.consents += len(rows.consents)
        if progress:
            progress(label, counts.contacts, count)


def _batches(
    context: ContactBuildContext, world: DemoWorld, ranges: list[tuple[int, int]], workers: int
) -> Iterator[ContactBatch]:
    global _context, _world
    # Workers are forked with these, so the world (20,000 companies take a minute to generate
    # at the large size) is built once, not once per worker.
    _context, _world = context, world
    if workers <= 1 or len(ranges) <= 1:
        for bounds in ranges:
            yield _batch_build(bounds)
        return
    # Forked workers never touch the database, so the parent's open connection (and any
    # transaction it is in) stays valid; workers leave through os._exit, closing nothing.
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        yield from pool.imap(_batch_build, ranges)
    finally:
        pool.terminate()
        pool.join()


_context: ContactBuildContext | None = None
_world: DemoWorld | None = None


def _batch_build(bounds: tuple[int, int]) -> ContactBatch:
    assert _context is not None and _world is not None
    people = _world.people(*bounds)
    batch = ContactBatch()
    for person in people:
        _person_rows(_context, person, batch)
    base = _context.contact_base_id
    batch.relationships = [
        (base + a, base + b, kind) for a, b, kind in DemoWorld.relationships(people, _context.seed)
    ]
    if connection.vendor == "sqlite":
        batch.contacts = rows_prepare(Contact, CONTACT_ATTRS, batch.contacts)
        batch.points = rows_prepare(ContactPoint, POINT_ATTRS, batch.points)
        batch.consents = rows_prepare(Consent, CONSENT_ATTRS, batch.consents)
        batch.prepared = True
    return batch


def _person_rows(context: ContactBuildContext, person: PersonSpec, batch: ContactBatch) -> None:
    contact_id = context.contact_base_id + person.key
    errors: dict[str, str] = {}
    emails = points_clean(ContactPoint.Kind.EMAIL, _point_inputs(person.emails), errors)
    phones = points_clean(ContactPoint.Kind.PHONE, _point_inputs(person.phones), errors)
    socials = points_clean(ContactPoint.Kind.SOCIAL, _point_inputs(person.socials), errors)
    addresses = addresses_clean([address_input(person.address)] if person.address else [], errors)
    custom = {}
    if person.tier and context.tier_field is not None:
        custom[context.tier_field.key] = custom_value_clean(context.tier_field, person.tier)
    _raise_if(errors)
    company_name = ""
    company_id = None
    if person.company_key is not None:
        company_id = context.company_ids[person.company_key]
        company_name = context.company_names[person.company_key]
    owner_id, team_id = context.owners.pick(person.team_index, person.owner_slot)
    keys = contact_index_fields(
        first_name=person.first_name,
        last_name=person.last_name,
        full_name=person.full_name,
        emails=[p.value for p in emails],
        phones=[p.value for p in phones],
        socials=[p.value for p in socials],
        company_name=company_name,
    )
    contact = (
        contact_id, owner_id, team_id, person.first_name, person.last_name, person.full_name,
        person.title, company_id, person.stage, person.channel, custom,
        emails[0].value if emails else "", phones[0].value if phones else "",
        keys["sort_name"], keys["order_name"], keys["first_key"], keys["last_key"],
        keys["search_text"],
    )  # fmt: skip
    batch.contacts.append(contact)
    batch.points += [
        (contact_id, p.kind, p.label, p.value, p.is_primary) for p in (*emails, *phones, *socials)
    ]
    batch.addresses += [
        tuple([contact_id] + [row[a] for a in ADDRESS_ATTRS[1:]]) for row in addresses
    ]
    batch.tag_links += [(contact_id, tag) for tag in person.tags]
    now = context.created_at or timezone.now()
    batch.consents += [
        (contact_id, channel, purpose, status, now - timedelta(days=days), source)
        for channel, purpose, status, days, source in person.consents
    ]


def _point_inputs(items: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"label": label, "value": value} for label, value in items]


def address_input(address: Any) -> dict[str, str]:
    return {
        "kind": address.kind,
        "line1": address.line1,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def _raise_if(errors: dict[str, str]) -> None:
    # Generated data must be valid; if a normaliser changes its rules, say which value broke.
    if errors:
        raise FieldError(errors)
