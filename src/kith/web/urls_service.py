"""Pages of service: tickets, slas, and service metrics (the CSAT page is feedback's)."""

from django.urls import path

from kith.web.views import service

urlpatterns = [
    path("tickets/", service.ticket_list, name="ticket-list"),
    path("tickets/new/", service.ticket_create, name="ticket-create"),
    path("tickets/metrics/", service.ticket_metrics, name="ticket-metrics"),
    path("tickets/<int:ticket_id>/", service.ticket_detail, name="ticket-detail"),
    path("tickets/<int:ticket_id>/edit/", service.ticket_edit, name="ticket-edit"),
    path("tickets/<int:ticket_id>/reply/", service.ticket_reply, name="ticket-reply"),
    path("tickets/<int:ticket_id>/status/", service.ticket_transition, name="ticket-transition"),
    path("tickets/sla/", service.sla_list, name="sla-list"),
    path(
        "contacts/<int:contact_id>/tickets/",
        service.contact_tickets_panel,
        name="contact-tickets-panel",
    ),
    path(
        "companies/<int:company_id>/tickets/",
        service.company_tickets_panel,
        name="company-tickets-panel",
    ),
    path("support/", service.support_public, name="support-public"),
]
