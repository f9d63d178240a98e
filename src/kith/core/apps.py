"""Kith's app config: what each app adds to the shared doors.

Every Kith app's AppConfig subclasses `KithAppConfig` and declares, as class attributes, what
it adds: access modules with default grants, API routers, URL modules, navigation entries,
record panels, demo loaders, CLI commands, import kinds and personal-data handlers. The doors
(identity's access gate and role seeding, the API, the web URLs, nav and panels, the CLI, the
demo loader, intake) loop over the installed apps through kith.core.doors.

Anything in a higher layer is named by a dotted path ("kith.api.sales:router"), loaded only
when the door needs it, so a lower app never imports upward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

from django.apps import AppConfig


@dataclass(frozen=True)
class DefaultGrant:
    """What a ready role may do in a module when the default roles are seeded."""

    scope: str  # "own", "team" or "all" (kith.identity.models.Scope)
    rights: tuple[str, ...] = ()  # beyond read: "create", "edit", "delete", "export"


@dataclass(frozen=True)
class AccessModule:
    """A module that roles grant rights on: its name for messages, its default grants."""

    label: Any
    grants: Mapping[str, DefaultGrant]  # ready role slug -> grant; a role left out gets none


# The grants of a CRM record module: administrators and managers do everything on every record,
# sales representatives all but delete on their team's records.
RECORD_GRANTS: Mapping[str, DefaultGrant] = MappingProxyType(
    {
        "admin": DefaultGrant("all", ("create", "edit", "delete", "export")),
        "manager": DefaultGrant("all", ("create", "edit", "delete", "export")),
        "sales_rep": DefaultGrant("team", ("create", "edit", "export")),
    }
)


@dataclass(frozen=True)
class SearchHit:
    """One record the command palette found: shown in its kind's group, linked to url_name
    with args (a web URL name, as NavEntry names one; reversed by the door, never imported)."""

    kind: str  # "contact", "ticket", …: the group
    kind_label: Any
    title: str
    detail: str
    url_name: str
    args: tuple[Any, ...] = ()
    params: str = ""  # a query string for the URL ("q=TEA-1"), for kinds without their own page


@dataclass(frozen=True)
class NavEntry:
    """A module in the top navigation, placed by `order` (lower first)."""

    key: str
    label: Any
    url_name: str | None  # None: not built yet, shown as "coming soon"
    order: int
    # URL names are "<entity>-<verb>"; pages whose entity is listed highlight this entry.
    url_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordPanel:
    """A panel of the contact or company page, loaded by htmx from its own URL.

    The URL name takes the record's id; the panel shows once that URL exists.
    """

    record: str  # "contact" or "company"
    url_name: str
    label: Any
    column: str  # "main" or "side"
    order: int  # within its column, lower first


@dataclass(frozen=True)
class DemoLoader:
    """A demo data loader, `loader(context: kith.demo.context.DemoContext)`, run by `order`."""

    path: str  # "kith.demo.sales:demo_sales_load"
    order: int


@dataclass(frozen=True)
class ImportKind:
    """A kind of record that intake imports from a file (the `kind` of an import job)."""

    key: str  # "leads"
    label: Any
    model: str  # the model the rows become, "sales.lead"
    module: str  # the access module an import of it needs rights on
    order: int  # place in the list of kinds, lower first
    list_url_name: str = ""  # the page that lists what an import wrote ("" for none)
    # The kind's kith.core.importing.ImportSpec: fields, row check, bulk write, undo.
    spec: str = ""  # "kith.sales.importing:ORDERS"


@dataclass(frozen=True)
class RuleAction:
    """An action an automation rule may take that another app of its layer provides (kith.
    automation may not import its siblings): `run` is the dotted path of
    f(*, by, contact_id, target) -> str (what it did; raises KithError when it cannot),
    `choices` of f(*, by) -> [(target id, label)] for the rule builder."""

    key: str  # "add_to_campaign"
    label: Any
    run: str
    choices: str


class PersonalDataHandler(Protocol):
    """An app's part of a contact's personal data (a module with these two functions will do)."""

    def export(self, contact_id: int) -> dict[str, Any]:
        """Everything the app holds about the contact, JSON-serialisable."""

    def erase(self, contact_id: int) -> dict[str, int]:
        """Erase it; how many records of each kind were erased or anonymised."""


class KithAppConfig(AppConfig):
    """An AppConfig that declares what the app adds to the shared doors (see module docstring)."""

    # Django picks the one AppConfig subclass with a true `default` in an app's apps.py; this
    # base, imported there too, is never one, and each subclass is (see __init_subclass__).
    default = False

    access_modules: ClassVar[Mapping[str, AccessModule]] = {}
    api_routers: ClassVar[tuple[str, ...]] = ()  # "kith.api.sales:router"
    url_modules: ClassVar[tuple[str, ...]] = ()  # "kith.web.urls_sales"
    nav_entries: ClassVar[tuple[NavEntry, ...]] = ()
    record_panels: ClassVar[tuple[RecordPanel, ...]] = ()
    demo_loaders: ClassVar[tuple[DemoLoader, ...]] = ()
    cli_commands: ClassVar[tuple[str, ...]] = ()  # "kith.cli.insights:register", f(typer_app)
    import_kinds: ClassVar[tuple[ImportKind | str, ...]] = ()  # or a dotted path to one
    personal_data: ClassVar[tuple[str, ...]] = ()  # dotted paths to PersonalDataHandlers
    # dotted paths to f(*, user, query, limit) -> list[SearchHit]: the command palette's search
    search_sources: ClassVar[tuple[str, ...]] = ()
    rule_actions: ClassVar[tuple[RuleAction, ...]] = ()  # actions offered to automation rules
    # Dotted paths to f() -> {score name: {thresholds}}: the score crossings someone watches
    # (kith.insights records `score.crossed` for them when it writes new scores).
    score_thresholds: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True


class CoreConfig(KithAppConfig):
    name = "kith.core"
    label = "core"

    def ready(self) -> None:
        from kith.core import checks, tasks  # noqa: F401 - checks registers the system checks
        from kith.core.schedules import schedule_register

        schedule_register(
            name="core.public_form_posts_prune",
            every=timedelta(days=1),
            task=tasks.public_form_posts_prune_task,
        )
        schedule_register(
            name="core.events_prune", every=timedelta(days=1), task=tasks.events_prune_task
        )
        schedule_register(
            name="core.worker_beats_prune",
            every=timedelta(days=1),
            task=tasks.worker_beats_prune_task,
        )
