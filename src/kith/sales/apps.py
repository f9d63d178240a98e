"""Leads and web-to-lead forms, pipelines and deals, products, orders, forecasts."""

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kith.sales"
    label = "sales"
    verbose_name = "Sales"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kith.core.schedules import schedule_register
        from kith.engagement.mail import unknown_sender_handler_register
        from kith.engagement.records import record_kind_register
        from kith.engagement.timeline import timeline_source_register
        from kith.sales import records, selectors, tasks
        from kith.sales.mail import lead_from_email

        unknown_sender_handler_register(handler=lead_from_email)
        record_kind_register(model="sales.deal", get=records.deal_ref)
        record_kind_register(model="sales.lead", get=records.lead_ref)

        timeline_source_register(
            kind="order", label=_("Orders"), fetch=selectors.orders_for_timeline
        )
        timeline_source_register(kind="deal", label=_("Deals"), fetch=selectors.deals_for_timeline)
        schedule_register(
            name="sales.form_submissions_prune",
            every=timedelta(days=1),
            task=tasks.form_submissions_prune_task,
        )
