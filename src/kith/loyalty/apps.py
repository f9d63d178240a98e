"""Loyalty: programmes, tiers, the points ledger, rewards, redemptions and referrals."""

from datetime import time, timedelta

from django.utils.translation import gettext_lazy as _

from kith.core.apps import (
    RECORD_GRANTS,
    AccessModule,
    DefaultGrant,
    DemoLoader,
    KithAppConfig,
    NavEntry,
    RecordPanel,
)


class LoyaltyConfig(KithAppConfig):
    name = "kith.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {
        # Members, their points and redemptions: record grants over the member's contact.
        "loyalty": AccessModule(_("loyalty"), RECORD_GRANTS),
        # Setting programmes up (tiers, rules, rewards) and bulk jobs: managers only.
        "loyalty_programmes": AccessModule(
            _("loyalty programmes"),
            {
                "admin": DefaultGrant("all", ("create", "edit", "delete", "export")),
                "manager": DefaultGrant("all", ("create", "edit", "delete", "export")),
                "sales_rep": DefaultGrant("all", ()),
            },
        ),
    }
    api_routers = ("kith.api.loyalty:router",)
    url_modules = ("kith.web.urls_loyalty",)
    nav_entries = (
        NavEntry("loyalty", _("Loyalty"), "loyalty-dashboard", order=75, url_prefixes=("loyalty",)),
    )
    record_panels = (
        RecordPanel("contact", "contact-loyalty-panel", _("Loyalty"), "side", order=45),
    )
    demo_loaders = (DemoLoader("kith.demo.loyalty:demo_loyalty_load", order=35),)
    cli_commands = ("kith.cli.loyalty:register",)
    personal_data = ("kith.loyalty.personal_data",)

    def ready(self) -> None:
        from kith.core.events import event_handler_register
        from kith.core.schedules import schedule_register
        from kith.engagement.timeline import timeline_source_register
        from kith.loyalty import selectors, tasks
        from kith.loyalty.services import earning, merges

        event_handler_register(
            name="loyalty.points_for_order", events={"order.created"},
            handler=earning.on_order_created,
        )  # fmt: skip
        event_handler_register(
            name="loyalty.points_reversed_for_order", events={"order.cancelled", "order.refunded"},
            handler=earning.on_order_undone,
        )  # fmt: skip
        event_handler_register(
            name="loyalty.memberships_merged", events={"contacts.merged"},
            handler=merges.on_contacts_merged,
        )  # fmt: skip
        timeline_source_register(
            kind="points", label=_("Loyalty points"), fetch=selectors.points_for_timeline
        )
        schedule_register(
            name="loyalty.points_expire", every=timedelta(days=1), task=tasks.points_expire_task,
            at=time(2, 0),
        )  # fmt: skip
        schedule_register(
            name="loyalty.tiers_evaluate", every=timedelta(days=1), task=tasks.tiers_evaluate_task,
            at=time(2, 30),
        )  # fmt: skip
        schedule_register(
            name="loyalty.birthday_bonuses", every=timedelta(days=1),
            task=tasks.birthday_bonuses_task, at=time(6, 0),
        )  # fmt: skip
