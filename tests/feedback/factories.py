"""Feedback factories: surveys made by the services, and answers given through signed links."""

from __future__ import annotations

from typing import Any

from kith.feedback import services
from kith.feedback.models import Survey, SurveyResponse


def make_survey(*, by: Any, kind: str = "nps", name: str = "", **fields: Any) -> Survey:
    return services.survey_create(by=by, name=name or f"{kind.upper()} survey", kind=kind, **fields)


def answer_as(
    *, survey: Survey, contact: Any, answers: dict[Any, Any], **kw: Any
) -> SurveyResponse:
    """A request for `contact` answered through its signed link."""
    request, _made = services.survey_request_open(survey=survey, contact=contact, **kw)
    token = services.request_token_make(request_id=request.pk)
    return services.survey_answer(token=token, answers=answers)
