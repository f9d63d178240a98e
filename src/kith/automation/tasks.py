"""Background work of automation: thin wrappers around its services, run by the schedules
registered in AutomationConfig.ready()."""

from django_tasks import task

from kith.automation.services import deliveries, inbound, runs


@task()
def deliveries_send_task() -> int:
    """Send the due webhook deliveries (new ones and retries)."""
    total = 0
    while (sent := deliveries.deliveries_send()) > 0:
        total += sent
    return total


@task()
def rule_runs_advance_task() -> int:
    """Run the pending rule runs and resume the waits that are due."""
    total = 0
    while (done := runs.rule_runs_advance()) > 0:
        total += done
    return total


@task()
def date_triggers_fire_task() -> int:
    """Start today's runs of the date-triggered rules (birthdays, days since the last order)."""
    return runs.date_triggers_fire()


@task()
def deliveries_prune_task() -> int:
    """Drop finished deliveries older than 30 days."""
    return deliveries.deliveries_prune()


@task()
def inbound_bodies_prune_task() -> int:
    """Drop inbound webhook bodies older than 30 days."""
    return inbound.inbound_bodies_prune()


@task()
def schedule_rules_fire_task() -> int:
    """Start the runs of the schedule-triggered rules whose time has come."""
    return runs.schedule_rules_fire()
