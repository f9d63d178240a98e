"""Background work of feedback: thin wrappers around services."""

from django_tasks import task

from kith.feedback import services


@task()
def survey_email_send_task(request_id: int) -> bool:
    """Email one survey request (first question answerable in the email)."""
    return services.survey_email_send(request_id=request_id)


@task()
def relationship_surveys_send_task() -> int:
    """Ask the customers due a relationship survey (every N months)."""
    return services.relationship_surveys_send()
