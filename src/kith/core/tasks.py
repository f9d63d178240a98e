"""Background work of core: thin wrappers around its functions."""

from django_tasks import task

from kith.core.public_forms import public_form_posts_prune


@task()
def public_form_posts_prune_task() -> int:
    """Drop the public forms' rate-limit rows older than a day."""
    return public_form_posts_prune()


@task()
def worker_beats_prune_task() -> int:
    """Forget workers gone for a day."""
    from kith.core.workers import worker_beats_prune

    return worker_beats_prune()


@task()
def events_prune_task() -> int:
    """Drop domain events delivered more than 30 days ago."""
    from kith.core.events import events_prune

    return events_prune()
