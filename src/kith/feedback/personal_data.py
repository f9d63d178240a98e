"""A contact's part of feedback for the personal-data export and erasure (kith.core.doors):
survey requests and answers, and the sentiment scores of the texts they wrote."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kith.core.personal_data import rows_json
from kith.feedback.models import (
    FollowUp,
    SurveyAnswer,
    SurveyRequest,
    SurveyResponse,
    TextSentiment,
)


def export(contact_id: int) -> dict[str, Any]:
    """The contact's survey requests and answers (with every question's answer)."""
    responses = (
        SurveyResponse.objects.filter(contact_id=contact_id)
        .select_related("survey")
        .prefetch_related("answers__question")
        .order_by("submitted_at", "pk")
    )
    return {
        "survey_requests": [
            {"survey": r.survey.name, "channel": r.channel, "sent_at": r.sent_at and r.sent_at.isoformat(),
             "answered_at": r.answered_at and r.answered_at.isoformat()}
            for r in SurveyRequest.objects.filter(contact_id=contact_id).select_related("survey").order_by("pk")
        ],
        "survey_responses": [
            {
                "survey": r.survey.name, "kind": r.kind, "score": r.score, "comment": r.comment,
                "submitted_at": r.submitted_at.isoformat(),
                "answers": [
                    {"question": a.question.position, "number": a.number, "choices": a.choices,
                     "text": a.text}
                    for a in sorted(r.answers.all(), key=lambda a: a.question.position)
                ],
            }
            for r in responses
        ],
        "sentiments": rows_json(
            TextSentiment.objects.filter(contact_id=contact_id).order_by("pk"),
            exclude=("owner_id", "team_id"),
        ),
    }  # fmt: skip


@transaction.atomic
def erase(contact_id: int) -> dict[str, int]:
    """Delete the contact's requests; keep their answers' scores for the statistics but
    anonymised (no contact, company, request or free text)."""
    responses = SurveyResponse.objects.filter(contact_id=contact_id)
    ids = list(responses.values_list("pk", flat=True))
    SurveyAnswer.objects.filter(response_id__in=ids).exclude(text="").delete()
    anonymised = responses.update(contact=None, company=None, request=None, comment="")
    FollowUp.objects.filter(contact_id=contact_id).update(contact=None)
    requests, _by_model = SurveyRequest.objects.filter(contact_id=contact_id).delete()
    # The scores stay in the sentiment trends, without the person and the words of their text.
    sentiments = TextSentiment.objects.filter(contact_id=contact_id).update(
        contact=None, drivers=[]
    )
    return {
        "survey_responses": anonymised,
        "survey_requests": requests,
        "sentiments": sentiments,
    }
