"""Background work of core: thin wrappers around its functions."""

from django_tasks import task

from kith.core.public_forms import public_form_posts_prune


@task()
def public_form_posts_prune_task() -> int:
    """Drop the public forms' rate-limit rows older than a day."""
    return public_form_posts_prune()
