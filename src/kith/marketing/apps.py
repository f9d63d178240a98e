"""Segments, templates, campaigns with a holdout, exactly-once delivery, tracking, unsubscribe."""

from datetime import time, timedelta

from django.utils.translation import gettext_lazy as _

from kith.core.apps import RECORD_GRANTS, AccessModule, DemoLoader, KithAppConfig, NavEntry


class MarketingConfig(KithAppConfig):
    name = "kith.marketing"
    label = "marketing"
    verbose_name = "Marketing"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {"marketing": AccessModule(_("marketing"), RECORD_GRANTS)}
    api_routers = ("kith.api.marketing:router",)
    url_modules = ("kith.web.urls_marketing",)
    nav_entries = (
        NavEntry(
            "campaigns",
            _("Campaigns"),
            "campaign-list",
            order=80,
            url_prefixes=("campaign", "segment", "template"),
        ),
    )
    cli_commands = ("kith.cli.marketing:register",)
    personal_data = ("kith.marketing.personal_data",)
    demo_loaders = (DemoLoader("kith.demo.marketing:demo_marketing_load", order=50),)

    def ready(self) -> None:
        from kith.core.schedules import schedule_register
        from kith.engagement.mail import inbound_mail_handler_register
        from kith.marketing import tasks
        from kith.marketing.bounces import bounce_mail_handle

        inbound_mail_handler_register(purpose="bounces", handler=bounce_mail_handle)
        schedule_register(
            name="marketing.segments_refresh",
            every=timedelta(days=1),
            task=tasks.segments_refresh_task,
            at=time(3, 0),  # after the insights scores of 02:00
        )
        schedule_register(
            name="marketing.campaigns_send",
            every=timedelta(minutes=1),
            task=tasks.campaigns_send_task,
        )
