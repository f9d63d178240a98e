"""Demo data of automation: a few rules an admin would make first (a welcome email series with
a wait, a task when a deal is won, a follow-up ticket when an SLA is breached, round-robin
assignment of new leads, a birthday task), an inbound webhook source for a shop's orders
form, and a disabled outgoing webhook subscription to show the page. Rules react only to
events after they were made, so the demo's own records start no runs."""

from __future__ import annotations

from kith.automation.models import Subscription
from kith.automation.services import rule_create
from kith.automation.services.inbound import inbound_source_create
from kith.demo.context import DemoContext
from kith.identity.models import Team


def demo_automation_load(context: DemoContext) -> None:
    """Adds the automation demo rules and webhooks; counts go to context.counts."""
    admin = context.users["admin"]
    team = Team.objects.order_by("id").first()
    rules = [
        rule_create(
            by=admin,
            name="Welcome series",
            trigger="contact.created",
            conditions={"all": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}]},
            actions=[
                {
                    "type": "send_email",
                    "subject": "Welcome to us",
                    "body": "Hello {{ first_name }}, thank you for choosing us.",
                },
                {"type": "wait", "days": 3},
                {
                    "type": "send_email",
                    "subject": "How is it going?",
                    "body": "Hello {{ first_name }}, may we help with anything?",
                },
            ],
            is_active=False,  # on once KITH_EMAIL_HOST points at a mail server
        ),
        rule_create(
            by=admin,
            name="Deal won: thank the customer",
            trigger="deal.won",
            actions=[
                {
                    "type": "create_task",
                    "title": "Call to thank for “{{ name }}”",
                    "due_in_days": 1,
                    "assignee": "record_owner",
                },
                {"type": "notify_user", "user": "record_owner", "text": "Won: {{ name }}"},
            ],
        ),
        rule_create(
            by=admin,
            name="SLA breached: escalate",
            trigger="ticket.sla_breached",
            actions=[
                {"type": "set_field", "field": "priority", "value": "urgent"},
                {
                    "type": "notify_user",
                    "user": "record_owner",
                    "text": "SLA breached on “{{ subject }}”",
                },
            ],
        ),
        rule_create(
            by=admin,
            name="Birthday wishes",
            trigger="date.birthday",
            trigger_field="custom.birthday",
            actions=[{"type": "create_task", "title": "Wish {{ full_name }} a happy birthday"}],
        ),
        rule_create(
            by=admin,
            name="Lapsed customers: win back",
            trigger="date.days_since_last_order",
            trigger_days=90,
            actions=[
                {"type": "create_task", "title": "Win back {{ full_name }}", "due_in_days": 3}
            ],
        ),
    ]
    if team is not None:
        rules.append(
            rule_create(
                by=admin,
                name="New leads in turn",
                trigger="lead.created",
                actions=[{"type": "assign_owner", "team_id": team.pk}],
                is_active=False,
            )
        )
    inbound_source_create(
        by=admin,
        name="Shop contact form",
        target="lead",
        mapping={"full_name": "customer.name", "email": "customer.email", "message": "message"},
    )
    Subscription.objects.create(
        name="Data warehouse (example)",
        url="https://hooks.example.com/kith",
        events=["deal.won", "order.created"],
        secret="demo-only-not-secret",
        is_active=False,
        disabled_reason="Demo: turn on with a real address.",
        created_by=admin,
    )
    context.counts["automation_rules"] = len(rules)
