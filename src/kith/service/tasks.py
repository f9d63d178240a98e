"""Background work of service: thin wrappers around services."""

from django_tasks import task

from kith.service import services


@task()
def tickets_breach_check_task() -> int:
    """Mark SLA breaches that happened since the last run and escalate them."""
    return services.tickets_breach_check()


@task()
def support_submissions_prune_task() -> int:
    """Drop the support-form rate-limit rows older than a day."""
    return services.support_submissions_prune()
