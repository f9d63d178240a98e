"""Surveys sent by what happens: a resolved ticket (the service desk's CSAT), an order, a
meeting, and relationship surveys every N months. Each makes one request per survey and
source record, so a repeated event sends nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kith.customers.models import Contact
from kith.feedback.models import Survey, SurveyRequest
from kith.feedback.services.sending import survey_request_open
from kith.feedback.services.surveys import STANDARD, questions_clean
from kith.identity.models import User

TICKET_SOURCE = "service.ticket"


def _email_enqueue(request_ids: list[int]) -> None:
    if not request_ids:
        return

    def enqueue() -> None:
        from kith.feedback.tasks import survey_email_send_task

        for request_id in request_ids:
            survey_email_send_task.enqueue(request_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def csat_survey_ensure(*, owner_id: int) -> Survey:
    """The survey resolved tickets send: the service desk's CSAT, made on first need with the
    standard CSAT questions in every language (an admin may edit or deactivate it)."""
    found = Survey.objects.filter(trigger=Survey.Trigger.TICKET_RESOLVED).order_by("pk").first()
    if found is not None:
        return found
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    owner = admin or User.objects.get(pk=owner_id)
    survey = Survey.objects.create(
        name="Support satisfaction (CSAT)", kind=Survey.Kind.CSAT,
        trigger=Survey.Trigger.TICKET_RESOLVED, owner=owner, team_id=owner.team_id,
        titles={"en": "How did we do?", "zh-hans": "我们做得怎么样？", "vi": "Chúng tôi đã làm thế nào?"},
    )  # fmt: skip
    questions = questions_clean(STANDARD["csat"], language=survey.default_language)
    for q in questions:
        q.survey = survey
    survey.questions.bulk_create(questions)
    return survey


@transaction.atomic
def surveys_for_source(
    *, trigger: str, contact_id: int | None, source_model: str, source_id: int,
    agent_id: int | None = None, team_id: int | None = None,
) -> list[SurveyRequest]:  # fmt: skip
    """Open (once) and mail the requests of every active survey with `trigger` for the source
    record's contact; nothing for a contact without an email address."""
    contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
    if contact is None or not contact.primary_email:
        return []
    if trigger == Survey.Trigger.TICKET_RESOLVED:
        csat_survey_ensure(owner_id=agent_id or contact.owner_id)
    made: list[SurveyRequest] = []
    for survey in Survey.objects.filter(trigger=trigger, is_active=True).order_by("pk"):
        request, new = survey_request_open(
            survey=survey, contact=contact, source_model=source_model, source_id=source_id,
            agent_id=agent_id, team_id=team_id,
        )  # fmt: skip
        if new:
            made.append(request)
    _email_enqueue([r.pk for r in made])
    return made


def relationship_surveys_send(*, now: datetime | None = None, batch: int = 500) -> int:
    """Ask customers with an email address who were not asked a scheduled survey in its last
    `every_months` months; at most `batch` per survey per run. How many requests were made."""
    now = now or timezone.now()
    made = 0
    for survey in Survey.objects.filter(trigger=Survey.Trigger.SCHEDULE, is_active=True):
        since = now - timedelta(days=30 * (survey.every_months or 12))
        asked = SurveyRequest.objects.filter(
            survey=survey, contact=OuterRef("pk"), created_at__gte=since
        )
        contacts = list(
            Contact.objects.filter(lifecycle_stage=Contact.Stage.CUSTOMER)
            .exclude(primary_email="")
            .exclude(Exists(asked))
            .order_by("pk")[:batch]
        )
        with transaction.atomic():
            ids = [survey_request_open(survey=survey, contact=c)[0].pk for c in contacts]
            _email_enqueue(ids)
        made += len(ids)
    return made
