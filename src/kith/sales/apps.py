"""Leads and web-to-lead forms, pipelines and deals, products, orders, forecasts."""

from datetime import time, timedelta

from django.utils.translation import gettext_lazy as _

from kith.core.apps import (
    RECORD_GRANTS,
    AccessModule,
    DefaultGrant,
    DemoLoader,
    ImportKind,
    KithAppConfig,
    NavEntry,
    RecordPanel,
)

# Products and their prices are the whole company's: a sales representative sells them (reads
# them, puts them on orders) but only managers and administrators create or change them.
PRODUCT_GRANTS = {
    "admin": RECORD_GRANTS["admin"],
    "manager": RECORD_GRANTS["manager"],
    "sales_rep": DefaultGrant(RECORD_GRANTS["sales_rep"].scope, ("export",)),
}


class SalesConfig(KithAppConfig):
    name = "kith.sales"
    search_sources = ("kith.sales.selectors.palette:palette_search",)
    label = "sales"
    personal_data = ("kith.sales.personal_data",)
    cli_commands = ("kith.cli.sales:register",)
    verbose_name = "Sales"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {
        "leads": AccessModule(_("leads"), RECORD_GRANTS),
        "deals": AccessModule(_("deals"), RECORD_GRANTS),
        "products": AccessModule(_("products"), PRODUCT_GRANTS),
        "orders": AccessModule(_("orders"), RECORD_GRANTS),
        # Managers set quotas; a rep reads their team's (their own and their team mates').
        "quotas": AccessModule(
            _("quotas"),
            {
                "admin": DefaultGrant("all", ("create", "edit", "delete", "export")),
                "manager": DefaultGrant("all", ("create", "edit", "delete", "export")),
                "sales_rep": DefaultGrant("team"),
            },
        ),
    }
    api_routers = ("kith.api.sales:router", "kith.api.sales.forecasting:router")
    url_modules = ("kith.web.urls_sales", "kith.web.urls_salesforce")
    nav_entries = (
        NavEntry("leads", _("Leads"), "lead-list", order=40, url_prefixes=("lead", "form")),
        NavEntry(
            "deals",
            _("Deals"),
            "deal-board",
            order=50,
            url_prefixes=("deal", "pipeline", "forecast"),
        ),
        NavEntry("orders", _("Orders"), "order-list", order=60, url_prefixes=("order", "product")),
    )
    record_panels = (
        RecordPanel("contact", "contact-sales-panel", _("Purchases and deals"), "side", order=20),
        RecordPanel("company", "company-sales-panel", _("Purchases and deals"), "side", order=20),
    )
    # First: the other domains' demo data refers to its deals and orders.
    demo_loaders = (DemoLoader("kith.demo.sales:demo_sales_load", order=10),)
    import_kinds = (
        ImportKind(
            "leads",
            _("Leads"),
            model="sales.lead",
            module="leads",
            order=30,
            list_url_name="lead-list",
            spec="kith.sales.importing:LEADS",
        ),
        ImportKind(
            "orders",
            _("Orders"),
            model="sales.order",
            module="orders",
            order=40,
            list_url_name="order-list",
            spec="kith.sales.importing:ORDERS",
        ),
    )

    def ready(self) -> None:
        from kith.core.events import event_handler_register
        from kith.engagement.mail import unknown_sender_handler_register
        from kith.engagement.records import record_kind_register
        from kith.engagement.timeline import timeline_source_register
        from kith.sales import records, selectors
        from kith.sales.mail import lead_from_email
        from kith.sales.services.lifecycle import stage_on_order_event

        unknown_sender_handler_register(handler=lead_from_email)
        # A lead or subscriber with a paid order becomes a customer (#17).
        event_handler_register(
            name="sales.contact_stage_from_orders",
            events={"order.created", "order.updated", "order.status_changed", "orders.imported"},
            handler=stage_on_order_event,
        )
        from kith.core.schedules import schedule_register
        from kith.sales import tasks

        # Churn follows insights' definition (no purchase in 180 days): time passes, no event.
        schedule_register(
            name="sales.contacts_churn_nightly",
            every=timedelta(days=1),
            at=time(1, 30),
            task=tasks.contacts_churn_task,
        )
        record_kind_register(model="sales.deal", get=records.deal_ref)
        record_kind_register(model="sales.lead", get=records.lead_ref)

        timeline_source_register(
            kind="order", label=_("Orders"), fetch=selectors.orders_for_timeline
        )
        timeline_source_register(kind="deal", label=_("Deals"), fetch=selectors.deals_for_timeline)
