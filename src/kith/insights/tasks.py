"""Background work of insights: thin wrappers around the scoring job."""

from django_tasks import task


@task()
def scoring_run_task() -> int:
    """Score every contact as of today (the nightly schedule); returns the run's id."""
    from kith.insights import jobs  # the analytics libraries load in the worker only

    return jobs.scoring_run().pk


@task()
def win_scores_task() -> int:
    """Refit the win-probability model and rescore every open deal; returns the run's id."""
    from kith.insights import win_job

    return win_job.win_scores_run().pk


@task()
def lead_scores_task() -> int:
    """Refit the lead-scoring model and rescore every open lead; returns the run's id."""
    from kith.insights import lead_job

    return lead_job.lead_scores_run().pk
