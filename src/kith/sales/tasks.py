"""Background work of sales: thin wrappers around services."""

from django_tasks import task

from kith.sales import services


@task()
def form_submissions_prune_task() -> int:
    """Drop the web-form rate-limit rows older than a day."""
    return services.form_submissions_prune()
