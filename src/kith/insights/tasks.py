"""Background work of insights: thin wrappers around the scoring job."""

from django_tasks import task

from kith.insights import jobs


@task()
def scoring_run_task() -> int:
    """Score every contact as of today (the nightly schedule); returns the run's id."""
    return jobs.scoring_run().pk
