"""The service desk's CSAT becomes a feedback survey: every ticket's CSAT score and comment
becomes a response to the "Support satisfaction (CSAT)" survey, and tickets resolved within
the CSAT link lifetime without an answer get an open request, so the links the desk already
mailed (/csat/<token>/, salt "kith.service.csat") still answer, once.

The ticket's own csat_score stays as service's copy for its metrics (feedback's
survey.answered event keeps it current); nothing of service is changed here.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

SOURCE = "service.ticket"
TITLES = {"en": "How did we do?", "zh-hans": "我们做得怎么样？", "vi": "Chúng tôi đã làm thế nào?"}
QUESTIONS = [
    (
        "csat",
        True,
        {
            "en": "How satisfied are you with our help?",
            "zh-hans": "您对我们的帮助满意吗？",
            "vi": "Bạn hài lòng với sự hỗ trợ của chúng tôi đến mức nào?",
        },
    ),
    (
        "text",
        False,
        {
            "en": "Anything we could do better?",
            "zh-hans": "我们还有哪些可以改进的地方？",
            "vi": "Chúng tôi có thể làm tốt hơn điều gì?",
        },
    ),
]


def csat_to_feedback(apps, schema_editor):  # noqa: ANN001, ANN201 (the migration API)
    Ticket = apps.get_model("service", "Ticket")
    Contact = apps.get_model("customers", "Contact")
    User = apps.get_model("identity", "User")
    Survey = apps.get_model("feedback", "Survey")
    Question = apps.get_model("feedback", "Question")
    SurveyRequest = apps.get_model("feedback", "SurveyRequest")
    SurveyResponse = apps.get_model("feedback", "SurveyResponse")
    SurveyAnswer = apps.get_model("feedback", "SurveyAnswer")

    recent = timezone.now() - timedelta(days=getattr(settings, "KITH_SERVICE_CSAT_DAYS", 14))
    answered = Ticket.objects.filter(csat_score__isnull=False, contact__isnull=False)
    open_links = Ticket.objects.filter(
        csat_score__isnull=True, contact__isnull=False, resolved_at__gte=recent
    )
    if not answered.exists() and not open_links.exists():
        return
    survey = Survey.objects.filter(trigger="ticket_resolved").order_by("pk").first()
    if survey is None:
        owner = (
            User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
            or User.objects.get(pk=(answered.first() or open_links.first()).owner_id)
        )
        survey = Survey.objects.create(
            name="Support satisfaction (CSAT)", kind="csat", trigger="ticket_resolved",
            owner=owner, team_id=owner.team_id, titles=TITLES,
        )  # fmt: skip
        for position, (kind, required, texts) in enumerate(QUESTIONS, start=1):
            Question.objects.create(
                survey=survey, position=position, kind=kind, texts=texts, required=required
            )
    questions = {q.position: q for q in Question.objects.filter(survey=survey)}
    done = set(
        SurveyRequest.objects.filter(survey=survey, source_model=SOURCE).values_list(
            "source_id", flat=True
        )
    )
    owners = dict(Contact.objects.values_list("pk", "owner_id"))
    teams = dict(Contact.objects.values_list("pk", "team_id"))
    for ticket in answered.order_by("pk").iterator(chunk_size=500):
        if ticket.pk in done:
            continue
        at = ticket.csat_at or ticket.resolved_at or ticket.created_at
        request = SurveyRequest.objects.create(
            survey=survey, contact_id=ticket.contact_id, channel="email",
            language=survey.default_language, source_model=SOURCE, source_id=ticket.pk,
            owner_id=owners[ticket.contact_id], agent_id=ticket.owner_id,
            team_id=ticket.team_id, sent_at=ticket.resolved_at, answered_at=at,
        )  # fmt: skip
        response = SurveyResponse.objects.create(
            survey=survey, request=request, contact_id=ticket.contact_id,
            company_id=ticket.company_id, agent_id=ticket.owner_id,
            owner_id=owners[ticket.contact_id], team_id=ticket.team_id or teams[ticket.contact_id],
            channel="email", language=survey.default_language, kind="csat",
            score=ticket.csat_score, comment=ticket.csat_comment[:2000], source_model=SOURCE,
            source_id=ticket.pk, submitted_at=at, completed_at=at,
        )  # fmt: skip
        SurveyAnswer.objects.create(response=response, question=questions[1], number=ticket.csat_score)
        if ticket.csat_comment and 2 in questions:
            SurveyAnswer.objects.create(
                response=response, question=questions[2], text=ticket.csat_comment[:2000]
            )
    for ticket in open_links.order_by("pk").iterator(chunk_size=500):
        if ticket.pk in done:
            continue
        SurveyRequest.objects.create(
            survey=survey, contact_id=ticket.contact_id, channel="email",
            language=survey.default_language, source_model=SOURCE, source_id=ticket.pk,
            owner_id=owners[ticket.contact_id], agent_id=ticket.owner_id,
            team_id=ticket.team_id, sent_at=ticket.resolved_at,
        )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("service", "0001_initial"),
    ]

    operations = [migrations.RunPython(csat_to_feedback, migrations.RunPython.noop)]
