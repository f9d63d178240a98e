"""The doors' view of the installed apps: what every KithAppConfig declares, collected in
INSTALLED_APPS order (or by `order` where a declaration has one).

See kith.core.apps for the declarations. Dotted paths ("kith.api.sales:router" or
"kith.api.sales.router") are imported here, when a door asks for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any, cast

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import import_string

from kith.core.apps import (
    AccessModule,
    ImportKind,
    KithAppConfig,
    NavEntry,
    PersonalDataHandler,
    RecordPanel,
    RuleAction,
)


def dotted_load(path: str) -> Any:
    """The object named by `path`: "package.module:name", "package.module.name" or a module,
    "package.module" (a module with export/erase functions is a PersonalDataHandler)."""
    module, _colon, name = path.partition(":")
    if name:
        return getattr(import_module(module), name)
    try:
        return import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name != path:
            raise
    return import_string(path)


def kith_apps() -> Iterator[KithAppConfig]:
    """The installed Kith apps, in INSTALLED_APPS order.

    Before Django is set up (the CLI listing its commands without paying for django.setup())
    only the apps of the kith package are read, from the settings and without importing any
    models: importing the other apps' configs costs more than the whole listing (one imports
    Django's admin).
    """
    if apps.apps_ready:
        configs: Iterator[AppConfig] = iter(apps.get_app_configs())
    else:
        configs = (
            AppConfig.create(entry)
            for entry in settings.INSTALLED_APPS
            if entry.startswith("kith.")
        )
    for config in configs:
        if isinstance(config, KithAppConfig):
            yield config


def access_modules() -> dict[str, AccessModule]:
    """Module key -> its AccessModule, every installed app's, in app order."""
    modules: dict[str, AccessModule] = {}
    for config in kith_apps():
        modules.update(config.access_modules)
    return modules


def api_routers() -> list[Any]:
    """The API routers (ninja Router objects) the apps declare, in app order."""
    return [dotted_load(path) for config in kith_apps() for path in config.api_routers]


def url_modules() -> list[str]:
    """The web URL modules the apps declare (for `include`), in app order."""
    return [path for config in kith_apps() for path in config.url_modules]


def nav_entries() -> list[NavEntry]:
    """The top navigation's entries, by their order."""
    entries = [entry for config in kith_apps() for entry in config.nav_entries]
    return sorted(entries, key=lambda entry: entry.order)


def record_panels(record: str) -> list[RecordPanel]:
    """The panels of the `record` ("contact" or "company") page, by their order."""
    panels = [
        panel for config in kith_apps() for panel in config.record_panels if panel.record == record
    ]
    return sorted(panels, key=lambda panel: panel.order)


def demo_loaders() -> list[Callable[[Any], None]]:
    """The demo loaders, each `loader(context)`, in the order they run."""
    loaders = [loader for config in kith_apps() for loader in config.demo_loaders]
    return [dotted_load(loader.path) for loader in sorted(loaders, key=lambda x: x.order)]


def cli_commands() -> list[Callable[[Any], None]]:
    """The CLI registrars, each `register(typer_app)`, in app order. Needs no django.setup()."""
    return [dotted_load(path) for config in kith_apps() for path in config.cli_commands]


def import_kinds() -> dict[str, ImportKind]:
    """Kind key -> the ImportKind, for every kind an installed app declares, by their order."""
    kinds = [
        entry if isinstance(entry, ImportKind) else cast(ImportKind, dotted_load(entry))
        for config in kith_apps()
        for entry in config.import_kinds
    ]
    return {kind.key: kind for kind in sorted(kinds, key=lambda kind: kind.order)}


def personal_data_handlers() -> dict[str, PersonalDataHandler]:
    """Dotted path -> handler (export(contact_id) -> dict, erase(contact_id) -> counts), in app
    order: what a contact's personal-data export or erasure has to ask."""
    return {
        path: cast(PersonalDataHandler, dotted_load(path))
        for config in kith_apps()
        for path in config.personal_data
    }


def search_sources() -> list[Callable[..., list[Any]]]:
    """The command palette's searches the apps declare, in app order."""
    return [dotted_load(path) for config in kith_apps() for path in config.search_sources]


def rule_actions() -> dict[str, RuleAction]:
    """Key -> the RuleAction, for every rule action an installed app provides."""
    return {action.key: action for config in kith_apps() for action in config.rule_actions}


def score_thresholds() -> dict[str, set[float]]:
    """Score name -> the thresholds whose crossing some app watches (union over the apps)."""
    found: dict[str, set[float]] = {}
    for config in kith_apps():
        for path in config.score_thresholds:
            for score, values in dotted_load(path)().items():
                found.setdefault(score, set()).update(values)
    return found
