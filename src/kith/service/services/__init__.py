"""Writes of service, one module per concept: business calendars and SLA policies (calendars),
the ticket lifecycle and its events (tickets), SLA breaches with escalation (breaches), who a
customer's ticket belongs to (requesters), the public support form (support_form), inbound
support email (ticket_mail) and CSAT answers (csat).

Every service checks access with kith.identity.access (module "tickets"), raises FieldError
keyed by field, writes atomically and records each change as a TicketEvent (who, when, what,
old → new). SLA rules are in kith.service.models' docstring.
"""

from kith.service.services.breaches import tickets_breach_check
from kith.service.services.calendars import (
    calendar_clock,
    calendar_create,
    sla_policy_create,
    sla_policy_for,
)
from kith.service.services.csat import csat_answered_handle, ticket_csat_record
from kith.service.services.requesters import intake_user
from kith.service.services.support_form import (
    RateLimited,
    ip_hash,
    support_form_submit,
    support_submissions_prune,
)
from kith.service.services.ticket_mail import REFERENCE, support_email_file
from kith.service.services.tickets import (
    TICKET_FIELDS,
    TRANSITIONS,
    Status,
    ticket_create,
    ticket_note,
    ticket_reply,
    ticket_transition,
    ticket_update,
)

__all__ = [
    "REFERENCE",
    "TICKET_FIELDS",
    "TRANSITIONS",
    "RateLimited",
    "Status",
    "calendar_clock",
    "calendar_create",
    "csat_answered_handle",
    "intake_user",
    "ip_hash",
    "sla_policy_create",
    "sla_policy_for",
    "support_email_file",
    "support_form_submit",
    "support_submissions_prune",
    "ticket_create",
    "ticket_csat_record",
    "ticket_note",
    "ticket_reply",
    "ticket_transition",
    "ticket_update",
    "tickets_breach_check",
]
