"""Import and export, duplicate detection and merge."""

from django.utils.translation import gettext_lazy as _

from kith.core.apps import RECORD_GRANTS, AccessModule, KithAppConfig, NavEntry, RecordPanel


class IntakeConfig(KithAppConfig):
    name = "kith.intake"
    label = "intake"
    verbose_name = "Intake"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {"imports": AccessModule(_("imports"), RECORD_GRANTS)}
    api_routers = ("kith.api.intake:router",)
    url_modules = ("kith.web.urls_intake",)
    nav_entries = (
        NavEntry(
            "data",
            _("Data"),
            "import-list",
            order=100,
            url_prefixes=("import", "export", "duplicate", "merge"),
        ),
    )
    record_panels = (
        RecordPanel(
            "contact", "contact-duplicates-panel", _("Possible duplicates"), "side", order=60
        ),
    )
    cli_commands = ("kith.cli.intake:register",)
