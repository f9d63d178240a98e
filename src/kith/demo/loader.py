"""`demo_load`: a realistic CRM to try Kith on, in one call.

Accounts, tags and custom fields are made through the services; companies and contacts are
written by kith.demo.bulk, which stores them exactly as the services would (tests/demo checks
this field by field) at a fraction of the cost: the services take ~30 ms per contact here,
which would put even the small size over a minute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from kith.core.doors import demo_loaders
from kith.core.errors import FieldError, KithError
from kith.core.models import CustomField, Tag
from kith.core.translated import seeded_name
from kith.customers import services as customers
from kith.demo import bulk
from kith.demo.accounts import DEMO_PASSWORD, DEMO_USERS, TEAMS
from kith.demo.context import DemoContext
from kith.demo.generator import DemoWorld
from kith.demo.vocabulary import TAGS, TIERS
from kith.identity import services as identity
from kith.identity.models import Team, User

# size -> (companies, contacts)
SIZES: dict[str, tuple[int, int]] = {
    "tiny": (12, 90),
    "small": (200, 2_000),
    "large": (10_000, 100_000),
}
SEED = 20250101


class DemoAlreadyLoaded(KithError):
    """The demo users or teams exist already; loading again would duplicate the data."""


@dataclass(frozen=True)
class DemoSummary:
    size: str
    teams: int
    users: int
    companies: int
    contacts: int
    relationships: int
    consents: int
    seconds: float
    # What the domain loaders added, by kind ("deals": 300, "orders": 9000, …).
    more: dict[str, int]
    # Seconds per stage, in the order they ran ("accounts", "customers", "sales", …).
    stages: dict[str, float] = field(default_factory=dict)


def demo_load(
    *, size: str = "small", progress: bulk.Progress | None = None, seed: int = SEED
) -> DemoSummary:
    """Load the demo: teams, users (see DEMO_LOGINS), tags, custom fields, companies, contacts.

    Refuses (DemoAlreadyLoaded) when a demo user or team exists. `progress(stage, done, total)`
    is called as records are written. All or nothing: a failed load leaves the database as it was.
    """
    if size not in SIZES:
        raise FieldError.one("size", _("Choose a size: %(sizes)s.") % {"sizes": ", ".join(SIZES)})
    existing = User.objects.filter(username__in=[u.username for u in DEMO_USERS]).exists()
    if existing or Team.objects.filter(name__in=TEAMS).exists():
        raise DemoAlreadyLoaded(
            _("The demo data is already loaded (demo users or teams exist); nothing was changed.")
        )
    started = time.monotonic()
    companies, contacts = SIZES[size]
    world = DemoWorld(seed=seed, companies=companies)
    stages: dict[str, float] = {}
    with transaction.atomic():
        mark = time.monotonic()
        users, fields = demo_accounts_create()
        stages["accounts"] = time.monotonic() - mark
        counts = _load_bulk(world, contacts, users, fields, progress, stages)
        context = DemoContext(size=size, seed=seed, users=users, progress=progress)
        # Each installed app's demo data (KithAppConfig.demo_loaders), in their declared order:
        # sales first (the others refer to its deals and orders), insights last (it scores).
        for domain_load in demo_loaders():
            mark = time.monotonic()
            domain_load(context)
            stages[_stage_name(domain_load)] = time.monotonic() - mark
    return DemoSummary(
        size=size,
        teams=len(TEAMS),
        users=len(users),
        companies=counts.companies,
        contacts=counts.contacts,
        relationships=counts.relationships,
        consents=counts.consents,
        seconds=round(time.monotonic() - started, 1),
        more=context.counts,
        stages={stage: round(seconds, 1) for stage, seconds in stages.items()},
    )


def _stage_name(domain_load: object) -> str:
    """The stage a loader is shown as: `sales` for kith.demo.sales:demo_sales_load."""
    name = getattr(domain_load, "__name__", str(domain_load))
    return name.removeprefix("demo_").removesuffix("_load")


def demo_accounts_create() -> tuple[dict[str, User], dict[str, CustomField]]:
    """The demo's roles, teams, users (DEMO_LOGINS), tags and custom field definitions."""
    identity.roles_ensure_defaults()
    teams = [identity.team_create(name=name) for name in TEAMS]
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        user = identity.user_create(
            username=spec.username,
            password=DEMO_PASSWORD,
            email=f"{spec.username}@demo.kith.example",
            first_name=spec.first_name,
            last_name=spec.last_name,
            team=teams[spec.team_index],
            role_slug=spec.role_slug,
            is_superuser=spec.is_superuser,
            language=spec.language,
        )
        users[spec.username] = user
        if spec.leads_team:
            teams[spec.team_index].lead = user
            teams[spec.team_index].save(update_fields=["lead"])
    Tag.objects.bulk_create(
        [Tag(name=name, color=color) for name, color in TAGS], ignore_conflicts=True
    )
    admin = users["admin"]
    fields = demo_fields_create(admin)
    return users, fields


def demo_fields_create(admin: User) -> dict[str, CustomField]:
    """The demo's custom fields (a contact's tier, a company's annual revenue), labelled in the
    installation's language with the other languages' labels beside."""
    tier, tier_names = seeded_name(pgettext_lazy("custom field", "Tier"), limit=80)
    revenue, revenue_names = seeded_name(
        pgettext_lazy("custom field", "Annual revenue (USD)"), limit=80
    )
    return {
        "tier": customers.custom_field_create(
            by=admin,
            model="customers.contact",
            key="tier",
            label=tier,
            label_translations=tier_names,
            kind="choice",
            choices=TIERS,
        ),
        "annual_revenue": customers.custom_field_create(
            by=admin,
            model="customers.company",
            key="annual_revenue",
            label=revenue,
            label_translations=revenue_names,
            kind="number",
        ),
    }


def owners_of(users: dict[str, User]) -> bulk.Owners:
    """Each team's sales reps, who own that team's customers."""
    by_team: list[list[tuple[int, int | None]]] = [[] for _team in TEAMS]
    for spec in DEMO_USERS:
        if spec.role_slug == "sales_rep":
            user = users[spec.username]
            by_team[spec.team_index].append((user.pk, user.team_id))
    return bulk.Owners(by_team)


def _load_bulk(
    world: DemoWorld,
    contacts: int,
    users: dict[str, User],
    fields: dict[str, CustomField],
    progress: bulk.Progress | None,
    stages: dict[str, float],
) -> bulk.BulkCounts:
    owners = owners_of(users)
    actor = users["admin"]
    mark = time.monotonic()
    company_ids = bulk.companies_bulk_create(
        world,
        owners=owners,
        revenue_field=fields["annual_revenue"],
        actor=actor,
        progress=progress,
    )
    stages["companies"] = time.monotonic() - mark
    mark = time.monotonic()
    counts = bulk.contacts_bulk_create(
        world,
        count=contacts,
        owners=owners,
        company_ids=company_ids,
        tier_field=fields["tier"],
        actor=actor,
        progress=progress,
    )
    stages["contacts"] = time.monotonic() - mark
    counts.companies = len(company_ids)
    return counts
