"""Tickets, SLA policies on business calendars, ticket events, CSAT."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from kith.core.apps import (
    RECORD_GRANTS,
    AccessModule,
    DemoLoader,
    KithAppConfig,
    NavEntry,
    RecordPanel,
)


class ServiceConfig(KithAppConfig):
    name = "kith.service"
    search_sources = ("kith.service.selectors:palette_search",)
    label = "service"
    personal_data = ("kith.service.personal_data",)
    verbose_name = "Service"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {"tickets": AccessModule(_("tickets"), RECORD_GRANTS)}
    api_routers = ("kith.api.service:router",)
    url_modules = ("kith.web.urls_service",)
    nav_entries = (
        NavEntry("tickets", _("Tickets"), "ticket-list", order=70, url_prefixes=("ticket", "sla")),
    )
    record_panels = (
        RecordPanel("contact", "contact-tickets-panel", _("Tickets"), "side", order=40),
        RecordPanel("company", "company-tickets-panel", _("Tickets"), "side", order=40),
    )
    demo_loaders = (DemoLoader("kith.demo.service:demo_service_load", order=30),)

    def ready(self) -> None:
        from kith.core.events import event_handler_register
        from kith.core.schedules import schedule_register
        from kith.engagement.mail import inbound_mail_handler_register
        from kith.engagement.records import record_kind_register
        from kith.engagement.texts import customer_text_register
        from kith.engagement.timeline import timeline_source_register
        from kith.service import selectors, services, tasks
        from kith.service.mail import support_mail_handle

        record_kind_register(model="service.ticket", get=selectors.ticket_ref)
        customer_text_register(model="service.ticketevent", read=selectors.ticket_replies_read)
        inbound_mail_handler_register(purpose="support", handler=support_mail_handle)

        timeline_source_register(
            kind="ticket", label=_("Tickets"), fetch=selectors.tickets_for_timeline
        )
        # CSAT scores come back from feedback's survey (its answers are on the timeline there).
        event_handler_register(
            name="service.csat_from_survey",
            events={"survey.answered"},
            handler=services.csat_answered_handle,
        )
        schedule_register(
            name="service.tickets_breach_check",
            every=timedelta(minutes=1),
            task=tasks.tickets_breach_check_task,
        )
        schedule_register(
            name="service.support_submissions_prune",
            every=timedelta(days=1),
            task=tasks.support_submissions_prune_task,
        )
