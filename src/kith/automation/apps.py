"""Automation: rules (trigger → conditions → actions) and webhooks, out and in."""

from datetime import time, timedelta

from django.utils.translation import gettext_lazy as _

from kith.core.apps import AccessModule, DefaultGrant, DemoLoader, KithAppConfig, NavEntry


class AutomationConfig(KithAppConfig):
    name = "kith.automation"
    personal_data = ("kith.automation.personal_data",)
    label = "automation"
    verbose_name = "Automation"
    default_auto_field = "django.db.models.BigAutoField"

    # Rules act with their owner's rights and webhooks send every event out: admins only.
    access_modules = {
        "automation": AccessModule(
            _("automation"), {"admin": DefaultGrant("all", ("create", "edit", "delete"))}
        )
    }
    api_routers = ("kith.api.automation:router",)
    url_modules = ("kith.web.urls_automation",)
    score_thresholds = ("kith.automation.triggers:score_thresholds",)
    cli_commands = ("kith.cli.automation:register",)
    demo_loaders = (DemoLoader("kith.demo.automation:demo_automation_load", order=45),)
    nav_entries = (
        NavEntry(
            "automation",
            _("Automation"),
            "rule-list",
            order=92,
            url_prefixes=("rule", "subscription", "delivery", "inbound"),
        ),
    )

    def ready(self) -> None:
        from kith.automation import tasks
        from kith.automation.actions import provided_actions_add
        from kith.automation.handlers import HANDLER_NAME, event_react
        from kith.core.events import event_handler_register
        from kith.core.schedules import schedule_register

        provided_actions_add()
        event_handler_register(name=HANDLER_NAME, events={"*"}, handler=event_react)
        schedule_register(
            name="automation.deliveries_send",
            every=timedelta(seconds=10),
            task=tasks.deliveries_send_task,
        )
        schedule_register(
            name="automation.rule_runs_advance",
            every=timedelta(seconds=10),
            task=tasks.rule_runs_advance_task,
        )
        schedule_register(
            name="automation.date_triggers_fire",
            every=timedelta(days=1),
            task=tasks.date_triggers_fire_task,
            at=time(6, 0),
        )
        schedule_register(
            name="automation.schedule_rules_fire",
            every=timedelta(minutes=1),
            task=tasks.schedule_rules_fire_task,
        )
        schedule_register(
            name="automation.deliveries_prune",
            every=timedelta(days=1),
            task=tasks.deliveries_prune_task,
        )
        schedule_register(
            name="automation.inbound_bodies_prune",
            every=timedelta(days=1),
            task=tasks.inbound_bodies_prune_task,
        )
