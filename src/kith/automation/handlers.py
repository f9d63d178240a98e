"""The one domain-event handler of automation ("*"): it matches each event against the active
webhook subscriptions and rules, and writes a Delivery per subscription and a RuleRun per rule,
each unique on the event, so a repeated call (delivery is at least once) writes nothing twice.
The slow work (HTTP, the rules' actions) is done by the worker's schedules afterwards."""

from __future__ import annotations

from kith.core.models import DomainEvent

HANDLER_NAME = "automation.react"


def event_react(event: DomainEvent) -> None:
    """Queue the deliveries and rule runs `event` causes (idempotent)."""
    from kith.automation.services.deliveries import deliveries_for_event
    from kith.automation.services.runs import runs_for_event

    deliveries_for_event(event)
    runs_for_event(event)
