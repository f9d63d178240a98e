"""Import and export, duplicate detection and merge."""

from datetime import time, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kith.core.apps import RECORD_GRANTS, AccessModule, KithAppConfig, NavEntry, RecordPanel


class IntakeConfig(KithAppConfig):
    name = "kith.intake"
    label = "intake"
    personal_data = ("kith.intake.personal_data",)
    verbose_name = "Intake"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {"imports": AccessModule(_("imports"), RECORD_GRANTS)}
    api_routers = ("kith.api.intake:router", "kith.api.privacy:router")
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
    cli_commands = (
        "kith.cli.intake:register",
        "kith.cli.backup:register",
        "kith.cli.privacy:register",
    )

    def ready(self) -> None:
        from kith.core.schedules import schedule_register
        from kith.intake import tasks

        schedule_register(
            name="intake.imports_stalled_fail",
            every=timedelta(minutes=1),
            task=tasks.imports_stalled_fail_task,
        )
        if settings.KITH_BACKUP_AT:
            hour, _colon, minute = settings.KITH_BACKUP_AT.partition(":")
            schedule_register(
                name="intake.backup",
                every=timedelta(days=1),
                task=tasks.backup_scheduled_task,
                at=time(int(hour), int(minute or 0)),
            )
        if settings.KITH_RETENTION_RAW_EMAIL_DAYS > 0 or settings.KITH_RETENTION_LEAD_MONTHS > 0:
            schedule_register(
                name="intake.retention",
                every=timedelta(days=1),
                task=tasks.retention_task,
                at=time(3, 15),
            )
