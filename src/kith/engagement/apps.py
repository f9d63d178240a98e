"""Interactions, the timeline, tasks and reminders, comments, mentions and notifications."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from kith.core.apps import (
    RECORD_GRANTS,
    AccessModule,
    DemoLoader,
    ImportKind,
    KithAppConfig,
    NavEntry,
    RecordPanel,
)


class EngagementConfig(KithAppConfig):
    name = "kith.engagement"
    search_sources = ("kith.engagement.selectors.tasks:palette_search",)
    label = "engagement"
    personal_data = ("kith.engagement.personal_data",)
    verbose_name = "Engagement"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {
        "interactions": AccessModule(_("interactions"), RECORD_GRANTS),
        "tasks": AccessModule(_("tasks"), RECORD_GRANTS),
    }
    api_routers = ("kith.api.engagement:router",)
    url_modules = ("kith.web.urls_engagement",)
    nav_entries = (NavEntry("tasks", _("Tasks"), "task-list", order=30, url_prefixes=("task",)),)
    record_panels = (
        RecordPanel("contact", "contact-timeline", _("Timeline"), "main", order=10),
        RecordPanel("contact", "contact-tasks-panel", _("Tasks"), "side", order=50),
        RecordPanel("company", "company-timeline", _("Timeline"), "main", order=10),
    )
    # After sales: the demo's interactions and tasks refer to its deals and orders.
    demo_loaders = (DemoLoader("kith.demo.engagement:demo_engagement_load", order=20),)
    cli_commands = ("kith.cli.engagement:register",)
    import_kinds = (
        ImportKind(
            "interactions",
            _("Interactions"),
            model="engagement.interaction",
            module="interactions",
            order=50,
            spec="kith.engagement.importing:INTERACTIONS",
        ),
        ImportKind(
            "messages",
            _("Social and chat messages"),
            model="engagement.interaction",
            module="interactions",
            order=55,
            spec="kith.engagement.importing:MESSAGES",
        ),
    )

    def ready(self) -> None:
        from kith.core.schedules import schedule_register
        from kith.engagement import mail, selectors, tasks
        from kith.engagement.records import record_kind_register
        from kith.engagement.timeline import timeline_source_register

        record_kind_register(model="customers.contact", get=selectors.contact_ref)
        record_kind_register(model="customers.company", get=selectors.company_ref)

        timeline_source_register(
            kind="interaction", label=_("Interactions"), fetch=selectors.interactions_for_timeline
        )
        timeline_source_register(
            kind="change", label=_("History"), fetch=selectors.changes_for_timeline
        )
        timeline_source_register(
            kind="comment", label=_("Comments"), fetch=selectors.comments_for_timeline
        )
        mail.inbound_mail_handler_register(purpose="timeline", handler=mail.timeline_file)
        schedule_register(
            name="engagement.reminders_deliver",
            every=timedelta(minutes=1),
            task=tasks.reminders_deliver_task,
        )
        schedule_register(
            name="engagement.mailboxes_fetch",
            every=timedelta(minutes=1),
            task=tasks.mailboxes_fetch_task,
        )
