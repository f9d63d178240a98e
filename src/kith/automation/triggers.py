"""What can start a rule: a domain event (by name) or a date.

Any event name of kith.core.events may be a trigger (an app added later brings its own); the
ones listed in EVENT_TRIGGERS are offered in the rule builder. Date triggers are checked once a
day by the worker (kith.automation.services.runs.date_triggers_fire).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kith.core.events import EVENT_NAME

EVENT_TRIGGERS: dict[str, Any] = {
    "contact.created": _("Contact created"),
    "contact.updated": _("Contact updated"),
    "company.created": _("Company created"),
    "company.updated": _("Company updated"),
    "lead.created": _("Lead created"),
    "lead.updated": _("Lead updated"),
    "lead.converted": _("Lead converted"),
    "webform.submitted": _("Public form submitted"),
    "deal.created": _("Deal created"),
    "deal.updated": _("Deal updated"),
    "deal.stage_changed": _("Deal stage changed"),
    "deal.won": _("Deal won"),
    "deal.lost": _("Deal lost"),
    "order.created": _("Order created"),
    "order.status_changed": _("Order status changed"),
    "ticket.created": _("Ticket created"),
    "ticket.updated": _("Ticket updated"),
    "ticket.sla_breached": _("Ticket SLA breached"),
    "ticket.resolved": _("Ticket resolved"),
    "email.received": _("Email received"),
    "interaction.logged": _("Interaction logged"),
    "automation.inbound_received": _("Inbound webhook received"),
    "survey.answered": _("Survey answered"),
    "sentiment.scored": _("Message sentiment scored (e.g. a negative message)"),
    "score.crossed": _("Insights score crossed a threshold"),
    "segment.entered": _("Contact entered a segment"),
    "segment.left": _("Contact left a segment"),
}
# Rules run on a schedule (trigger_field: "every 15m", "every 2h", "every 1d" or a cron line).
SCHEDULE_TRIGGER = "schedule"
# score.crossed: the scores of kith.insights a threshold may watch (trigger_field).
SCORES = ("churn_risk", "clv", "p_alive", "expected_spend", "monetary", "recency_days")
DATE_TRIGGERS: dict[str, Any] = {
    "date.birthday": _("Birthday (a contact's date field, every year)"),
    "date.field": _("A contact's date field (N days before)"),
    "date.days_since_last_order": _("N days since the contact's last order"),
}
# The record an event is about, by the event name's first word.
EVENT_MODELS = {
    "contact": "customers.contact",
    "company": "customers.company",
    "lead": "sales.lead",
    "deal": "sales.deal",
    "order": "sales.order",
    "ticket": "service.ticket",
    "segment": "customers.contact",
    "score": "customers.contact",
    "survey": "customers.contact",  # the run is about the answering contact (payload)
    "sentiment": "customers.contact",
}


def trigger_model(trigger: str) -> str | None:
    """The model of the records a trigger is about ("customers.contact"), when known."""
    if trigger == SCHEDULE_TRIGGER:
        return None
    if trigger in DATE_TRIGGERS:
        return "customers.contact"
    return EVENT_MODELS.get(trigger.split(".", 1)[0])


def trigger_valid(trigger: str) -> bool:
    return (
        trigger in DATE_TRIGGERS
        or trigger == SCHEDULE_TRIGGER
        or (not trigger.startswith("date.") and bool(EVENT_NAME.fullmatch(trigger)))
    )


def trigger_choices() -> list[tuple[str, Any]]:
    return [
        *EVENT_TRIGGERS.items(),
        *DATE_TRIGGERS.items(),
        (SCHEDULE_TRIGGER, _("On a schedule (every 15m / 2h / 1d, or a cron line)")),
    ]


def score_thresholds() -> dict[str, set[float]]:
    """The thresholds the active score.crossed rules watch, by score (kith.insights asks
    through the door `score_thresholds` when it writes new scores)."""
    from kith.automation.models import Rule

    found: dict[str, set[float]] = {}
    rows = Rule.objects.filter(
        is_active=True, trigger="score.crossed", trigger_threshold__isnull=False
    ).values_list("trigger_field", "trigger_threshold")
    for score, threshold in rows:
        if score in SCORES:
            found.setdefault(score, set()).add(float(threshold))
    return found
