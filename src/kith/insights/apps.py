"""Customer analytics: RFM, lifetime value, churn risk, propensity, KPIs — scored in bulk."""

from datetime import time, timedelta
from functools import partial

from django.utils.translation import gettext_lazy as _

from kith.core.apps import DemoLoader, KithAppConfig, NavEntry, RecordPanel


class InsightsConfig(KithAppConfig):
    name = "kith.insights"
    label = "insights"
    personal_data = ("kith.insights.personal_data",)
    verbose_name = "Insights"
    default_auto_field = "django.db.models.BigAutoField"

    api_routers = ("kith.api.insights:router",)
    url_modules = ("kith.web.urls_insights",)
    nav_entries = (
        NavEntry(
            "insights",
            _("Insights"),
            "insights-dashboard",
            order=90,
            url_prefixes=("insights", "segment"),
        ),
    )
    record_panels = (
        RecordPanel("contact", "contact-insights-panel", _("Scores"), "side", order=30),
    )
    # Last: it scores what the others loaded.
    demo_loaders = (
        # Scores last, once every loader that writes orders (loyalty, marketing) has run.
        DemoLoader("kith.demo.insights:demo_insights_load", order=55),
        DemoLoader("kith.demo.salesforce:demo_salesforce_load", order=45),
    )
    cli_commands = ("kith.cli.insights:register", "kith.cli.insights_score:register")

    def ready(self) -> None:
        from kith.core.events import event_handler_register
        from kith.core.schedules import schedule_register
        from kith.customers.selectors import contact_filter_register
        from kith.insights import loyalty_orders, selectors, tasks

        # sales' bulk import records one event per import: its orders earn loyalty points here
        event_handler_register(
            name="insights.loyalty_points_for_imported_orders", events={"orders.imported"},
            handler=loyalty_orders.on_orders_imported,
        )  # fmt: skip

        schedule_register(
            name="insights.score_nightly",
            every=timedelta(days=1),
            at=time(2, 0),
            task=tasks.scoring_run_task,
        )
        schedule_register(
            name="insights.win_scores_nightly",
            every=timedelta(days=1),
            at=time(2, 30),
            task=tasks.win_scores_task,
        )
        schedule_register(
            name="insights.lead_scores_nightly",
            every=timedelta(days=1),
            at=time(2, 45),
            task=tasks.lead_scores_task,
        )
        for name, label in (
            ("clv_min", _("CLV at least")),
            ("clv_max", _("CLV at most")),
            ("churn_risk_min", _("Churn risk at least")),
            ("churn_risk_max", _("Churn risk at most")),
        ):
            contact_filter_register(
                name=name, label=label, apply=partial(selectors.contacts_by_score, name=name)
            )
        contact_filter_register(
            name="segment",
            label=_("Segment"),
            kind="choice",
            choices=selectors.segment_choices,
            apply=partial(selectors.contacts_by_score, name="segment"),
        )
