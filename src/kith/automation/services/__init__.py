"""Writes of automation, one module per concept: rules (rules), their runs and steps (runs),
outgoing webhook subscriptions (subscriptions) and their deliveries (deliveries), inbound
webhook sources (inbound). Administrators manage them (kith.identity.access.admin_require);
a rule's actions run with its owner's rights."""

from kith.automation.services.deliveries import (
    deliveries_for_event,
    deliveries_prune,
    deliveries_send,
    delivery_redeliver,
    event_body,
    retry_delay,
)
from kith.automation.services.rules import rule_create, rule_delete, rule_test, rule_update
from kith.automation.services.runs import (
    date_triggers_fire,
    rule_runs_advance,
    runs_for_event,
    schedule_rules_fire,
)
from kith.automation.services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_secret_rotate,
    subscription_update,
)

__all__ = [
    "date_triggers_fire",
    "deliveries_for_event",
    "deliveries_prune",
    "deliveries_send",
    "delivery_redeliver",
    "event_body",
    "retry_delay",
    "rule_create",
    "rule_delete",
    "rule_runs_advance",
    "rule_test",
    "rule_update",
    "runs_for_event",
    "schedule_rules_fire",
    "subscription_create",
    "subscription_delete",
    "subscription_secret_rotate",
    "subscription_update",
]
