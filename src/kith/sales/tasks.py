"""Background work of sales: thin wrappers around services."""

from django_tasks import task


@task()
def contacts_churn_task() -> int:
    """Mark churned the customers who have not bought for CHURN_DAYS (nightly); returns how many."""
    from kith.sales.services.lifecycle import contacts_churn_mark

    return contacts_churn_mark()
